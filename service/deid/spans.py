"""The small types between detection and replacement."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

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
    # One sweep over the span ends (n log n, not one step per character): between two consecutive ends
    # the owner is the active span of highest rank; ties go to the later span, as a later write would.
    ranked = sorted(spans, key=lambda s: s.priority)
    by_start = sorted(range(len(ranked)), key=lambda r: ranked[r].start)
    bounds = sorted({s.start for s in spans} | {s.end for s in spans})
    active: list[tuple[int, Span]] = []  # a heap of (-rank, span)
    pieces: list[tuple[int, int, Span]] = []  # (start, end, the piece's best span)
    k = 0
    for a, b in pairwise(bounds):
        while k < len(by_start) and ranked[by_start[k]].start <= a:
            heapq.heappush(active, (-by_start[k], ranked[by_start[k]]))
            k += 1
        while active and active[0][1].end <= a:
            heapq.heappop(active)
        if not active:
            continue
        owner = active[0][1]
        if pieces and pieces[-1][1] == a and pieces[-1][2].entity_type == owner.entity_type:
            start, _, best = pieces[-1]
            pieces[-1] = (start, b, owner if owner.priority > best.priority else best)
        else:
            pieces.append((a, b, owner))
    result: list[Span] = []
    for a, b, best in pieces:
        trimmed = trim(Span(best.entity_type, a, b, best.score, best.source), text)
        if trimmed is not None:
            result.append(trimmed)
    return result
