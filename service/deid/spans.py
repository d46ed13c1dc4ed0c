"""The small types between detection and replacement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

has_digit = re.compile(r"\d").search  # "does the text hold a digit?": faster than any(ch.isdigit() ...)


class EntityType(StrEnum):
    PERSON = "PERSON"
    DATE = "DATE"
    ID = "ID"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    URL = "URL"
    IP = "IP"
    SSN = "SSN"
    ADDRESS = "ADDRESS"
    LOCATION = "LOCATION"
    ORGANIZATION = "ORGANIZATION"
    AGE = "AGE"


# When two detections overlap, the higher score wins the overlapping characters; on equal scores
# the more specific type below.
_PRIORITY = {
    EntityType.SSN: 9,
    EntityType.EMAIL: 9,
    EntityType.URL: 9,
    EntityType.IP: 8,
    EntityType.PHONE: 7,
    EntityType.DATE: 7,
    EntityType.ID: 6,
    EntityType.AGE: 6,
    EntityType.ADDRESS: 5,
    EntityType.ORGANIZATION: 4,
    EntityType.PERSON: 3,
    EntityType.LOCATION: 2,
}


@dataclass(frozen=True, slots=True)
class Span:
    """A detected PHI span in the original text: text[start:end]."""

    entity_type: EntityType
    start: int
    end: int
    score: float = 1.0
    source: str = ""

    @property
    def priority(self) -> tuple[float, int, int]:
        return (self.score, _PRIORITY[self.entity_type], self.end - self.start)


_EDGE = " \t\r\n\f\v,;:"


def trim(span: Span, text: str) -> Span | None:
    """The span without surrounding whitespace and separators; None when nothing is left."""
    start, end = span.start, span.end
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    if start == end or not any(ch.isalnum() for ch in text[start:end]):
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(span.entity_type, start, end, span.score, span.source)


def resolve_overlaps(spans: list[Span], text: str) -> list[Span]:
    """Sorted, non-overlapping, trimmed spans.

    Each character takes the type of the highest-priority span covering it; consecutive characters
    of one type form one span. So overlapping detections of one type merge into their union, a
    date keeps its exact extent when a weaker name or address overlaps it, and no detected
    character is left un-replaced.
    """
    if not spans:
        return []
    owner: dict[int, Span] = {}
    for span in sorted(spans, key=lambda s: s.priority):
        for position in range(span.start, span.end):
            owner[position] = span  # a higher-priority span, coming later, overwrites
    positions = sorted(owner)
    result: list[Span] = []
    i = 0
    while i < len(positions):
        best = owner[positions[i]]
        j = i
        while (
            j + 1 < len(positions)
            and positions[j + 1] == positions[j] + 1
            and owner[positions[j + 1]].entity_type == best.entity_type
        ):
            j += 1
            best = max(best, owner[positions[j]], key=lambda s: s.priority)
        trimmed = trim(Span(best.entity_type, positions[i], positions[j] + 1, best.score, best.source), text)
        if trimmed is not None:
            result.append(trimmed)
        i = j + 1
    return result
