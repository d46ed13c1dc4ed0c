"""Replacement: spans → surrogates, and the de-identified text with entity offsets into it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.deid.dates import calendar_date, shift_date_text, shift_day_text, shift_year_text, whole_date
from service.deid.detect import Detector
from service.deid.keys import KeyedHasher, PatientContext, patient_key
from service.deid.metadata import AGE_CAP
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
        birth = _old_birth_dates(text, spans, patient)
        pieces: list[str] = []
        entities: list[Entity] = []
        replacements: list[Replacement] = []
        cursor = 0
        out_len = 0
        for span in spans:
            pieces.append(text[cursor : span.start])
            out_len += span.start - cursor
            if span in birth:  # a birth date that says "90 or older": moved to make the age 90
                surrogate = shift_date_text(text[span.start : span.end], birth[span], _day_first(span)) or ""
            else:
                surrogate = self.surrogate(span, text[span.start : span.end], patient)
            pieces.append(surrogate)
            entities.append(Entity(span.entity_type.value, out_len, out_len + len(surrogate)))
            replacements.append(Replacement(span, surrogate, out_len, out_len + len(surrogate)))
            out_len += len(surrogate)
            cursor = span.end
        pieces.append(text[cursor:])
        return DeidResult("".join(pieces), entities, replacements)

    def surrogate(self, span: Span, value: str, patient: PatientContext) -> str:
        kind = span.entity_type
        if kind is EntityType.DATE and span.source == "date:event_year":  # "CABG 81": the year alone
            return shift_year_text(value, patient.date_offset_days)
        if kind is EntityType.DATE and span.source == "date:ordinal_day":  # "on the 11th"
            return shift_day_text(value, patient.date_offset_days)
        if kind is EntityType.DATE:
            shifted = shift_date_text(value, patient.date_offset_days, day_first=_day_first(span))
            return shifted if shifted is not None else self.surrogates.identifier(value)
        # ID, PHONE and SSN (and anything else) keep their format with consistent characters.
        return self._by_type.get(kind, self.surrogates.identifier)(value)


BIRTH_CUE = re.compile(r"(?i)\b(?:dob|d\.o\.b|date[ \t]+of[ \t]+birth|birth[ \t]*date|born(?:[ \t]+on)?)\W{0,4}$")


def _day_first(span: Span) -> bool:
    return span.source.endswith(":day-first")


def _old_birth_dates(text: str, spans: Sequence[Span], patient: PatientContext) -> dict[Span, int]:
    """Birth dates that make the patient 90 or older on the report's latest other full date (the
    exam): for each, the offset in days that moves it to exactly 90 years before that date, once
    shifted. Safe Harbor counts such a date as an age over 89."""
    date_spans = [s for s in spans if s.entity_type is EntityType.DATE]
    if not any(BIRTH_CUE.search(text, max(0, s.start - 24), s.start) for s in date_spans):
        return {}  # the common report: no date parsed here
    dates = [(s, calendar_date(d)) for s in date_spans
             if (d := whole_date(text[s.start : s.end], _day_first(s))) is not None]
    births = [(s, day) for s, day in dates
              if day is not None and BIRTH_CUE.search(text, max(0, s.start - 24), s.start)]
    if not births:
        return {}
    others = [day for s, day in dates if day is not None and all(s is not b for b, _ in births)]
    if not others:
        return {}
    exam = max(others)
    out = {}
    for span, born in births:
        if _years_between(born, exam) >= AGE_CAP:
            target = exam + dt.timedelta(days=patient.date_offset_days)
            try:
                capped = target.replace(year=target.year - AGE_CAP)
            except ValueError:  # 29 February
                capped = target.replace(year=target.year - AGE_CAP, day=28)
            out[span] = (capped - born).days
    return out


def _years_between(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
