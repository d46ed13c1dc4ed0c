"""Replacement: spans → surrogates, and the de-identified text with entity offsets into it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.deid.dates import shift_date_text
from service.deid.detect import Detector
from service.deid.keys import KeyedHasher, PatientContext, patient_key
from service.deid.spans import EntityType, Span
from service.deid.surrogates import Surrogates


@dataclass(frozen=True, slots=True)
class Entity:
    """A replaced span in the output text. Carries no original value."""

    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Replacement:
    """What replaced what. Holds PHI (span offsets into the original): evaluation only, never logged."""

    span: Span
    surrogate: str
    out_start: int
    out_end: int


@dataclass(frozen=True, slots=True)
class DeidResult:
    text: str
    entities: list[Entity]
    replacements: list[Replacement]


class Deidentifier:
    """detect → spans → replace, with surrogates keyed by one secret and dates shifted per patient."""

    def __init__(self, detector: Detector, secret: bytes) -> None:
        self.detector = detector
        self.hasher = KeyedHasher(secret)
        self.surrogates = Surrogates(self.hasher)
        s = self.surrogates
        self._by_type: dict[EntityType, Callable[[str], str]] = {
            EntityType.PERSON: s.person, EntityType.ORGANIZATION: s.institution, EntityType.LOCATION: s.location,
            EntityType.ADDRESS: s.street, EntityType.EMAIL: s.email, EntityType.URL: s.url, EntityType.IP: s.ip,
            EntityType.AGE: s.age,
        }

    def patient(self, patient_key: str) -> PatientContext:
        return PatientContext.for_patient(self.hasher, patient_key)

    def deidentify_batch(self, texts: Sequence[str], patient_keys: Sequence[str | None]) -> list[DeidResult]:
        """`patient_keys[i]` keys the date shift of texts[i]; None makes the text its own patient."""
        spans = self.detector.detect_batch(texts)
        return [
            self.replace(text, found, self.patient(key or str(patient_key(None, None, f"{i}:{text}"))))
            for i, (text, found, key) in enumerate(zip(texts, spans, patient_keys, strict=True))
        ]

    def replace(self, text: str, spans: Sequence[Span], patient: PatientContext) -> DeidResult:
        """Replace sorted, non-overlapping spans. The output is built front to back in one pass,
        tracking the length change, so every entity offset refers to the output text."""
        pieces: list[str] = []
        entities: list[Entity] = []
        replacements: list[Replacement] = []
        cursor = 0
        out_len = 0
        for span in spans:
            pieces.append(text[cursor : span.start])
            out_len += span.start - cursor
            surrogate = self.surrogate(span.entity_type, text[span.start : span.end], patient)
            pieces.append(surrogate)
            entities.append(Entity(span.entity_type.value, out_len, out_len + len(surrogate)))
            replacements.append(Replacement(span, surrogate, out_len, out_len + len(surrogate)))
            out_len += len(surrogate)
            cursor = span.end
        pieces.append(text[cursor:])
        return DeidResult("".join(pieces), entities, replacements)

    def surrogate(self, kind: EntityType, value: str, patient: PatientContext) -> str:
        if kind is EntityType.DATE:
            shifted = shift_date_text(value, patient.date_offset_days)
            return shifted if shifted is not None else self.surrogates.identifier(value)
        # ID, PHONE and SSN (and anything else) keep their format with consistent characters.
        return self._by_type.get(kind, self.surrogates.identifier)(value)
