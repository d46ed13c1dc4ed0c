"""The small types between detection and replacement."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Sorted, non-overlapping spans.

    Overlapping spans of the same type merge into their union; otherwise the span with the higher
    priority is kept whole and the other is dropped when it is fully covered, or trimmed to the part
    outside (so no detected character is ever left un-replaced).
    """
    result: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end <= span.start:
            continue
        if not result or span.start >= result[-1].end:
            result.append(span)
            continue
        last = result[-1]
        if span.entity_type == last.entity_type:
            result[-1] = Span(
                last.entity_type, last.start, max(last.end, span.end),
                max(last.score, span.score), last.source,
            )
        elif span.priority > last.priority:
            result.pop()
            if last.start < span.start:
                result.append(Span(last.entity_type, last.start, span.start, last.score, last.source))
            result.append(span)
            if last.end > span.end:
                result.append(Span(last.entity_type, span.end, last.end, last.score, last.source))
        elif span.end > last.end:
            result.append(Span(span.entity_type, last.end, span.end, span.score, span.source))
    return result
