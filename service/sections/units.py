"""Numbered units of a report (lines, and sentences within long lines) for the `spans` output mode.

The LLM answers with unit numbers per section; section text is then copied from the report, so it
is verbatim by construction. Units cover every non-blank character of the report, in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from service.sections.headers import find_headers

# A sentence ends at . ! ? followed by space and an upper-case letter, digit or bracket, except
# after an abbreviation ("Dr. Smith") or a list number ("1. Mild edema"). The check searches the text
# (lookbehinds see the characters before the window) in a short window ending at the break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[ \t]+(?=[A-Z0-9(\[])")
_NO_BREAK_BEFORE = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|St|Drs|Prof|vs|approx|e\.g|i\.e|No|no|Fig|fig)\.|(?<!\S)\d{1,2}\.|\b[A-Z]\.)$"
)
UNIT_CUTS = ("inline", "upper")
"""The header hits a unit is cut before: those inside a line."""
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_NO_BREAK_WINDOW = 16  # longer than any match of _NO_BREAK_BEFORE


class Unit(NamedTuple):
    """A unit's offsets in its text (a tuple: made by the hundred thousand on a corpus, 3x cheaper than a
    frozen dataclass)."""

    start: int
    end: int


def split_units(text: str, headers: bool = True, cuts: Sequence[int] = ()) -> list[Unit]:
    """Lines, cut at sentence ends and before section headers inside a line
    ("INDICATION: Cough COMPARISON: None"), so that no unit holds two sections' headers.
    `headers=False`: lines and sentences only (for text known to hold no header). `cuts` (sorted
    offsets): cut there too (headers the caller has found already, soft sentence breaks).

    Each line is cut on its own (no rule looks past its line), and a line seen before is looked up."""
    units: list[Unit] = []
    for line in _LINE.finditer(text):
        offset, body = line.start(), line.group()
        pieces = _cached_line_units(body, headers) if len(body) <= _MAX_CACHED_LINE else _line_units(body, headers)
        units += [Unit(offset + start, offset + end) for start, end in pieces]
    return _cut(text, units, cuts) if cuts else units


def _cut(text: str, units: list[Unit], cuts: Sequence[int]) -> list[Unit]:
    """`units` cut again at each offset of `cuts` inside one (the same pieces as cutting the lines at
    all the offsets at once: each piece is stripped either way)."""
    pieces: list[tuple[int, int]] = []
    at = 0
    for unit in units:
        while at < len(cuts) and cuts[at] <= unit.start:
            at += 1
        start = unit.start
        while at < len(cuts) and cuts[at] < unit.end:
            _append(pieces, text, start, cuts[at])
            start = cuts[at]
            at += 1
        _append(pieces, text, start, unit.end)
    return [Unit(start, end) for start, end in pieces]


_LINE = re.compile(r"[^\r\n]+")
_MAX_CACHED_LINE = 400


def _line_units(line: str, headers: bool) -> tuple[tuple[int, int], ...]:
    # The abbreviation check reads a short window before the break, not the line up to it (linear time).
    cuts = {brk.end() for brk in _SENTENCE_END.finditer(line)
            if not _NO_BREAK_BEFORE.search(line, max(0, brk.start() - _NO_BREAK_WINDOW), brk.start())}
    if headers:
        cuts |= {hit.start for hit in find_headers(line) if hit.group in UNIT_CUTS}
    pieces: list[tuple[int, int]] = []
    start = 0
    for cut in sorted(c for c in cuts if 0 < c < len(line)):
        _append(pieces, line, start, cut)
        start = cut
    _append(pieces, line, start, len(line))
    return tuple(pieces)


_cached_line_units = lru_cache(maxsize=65536)(_line_units)


def clear_cache() -> None:
    _cached_line_units.cache_clear()


def _append(pieces: list[tuple[int, int]], line: str, start: int, end: int) -> None:
    piece = line[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        pieces.append((start + lead, start + lead + len(stripped)))


def numbered(text: str, units: list[Unit], paragraphs: bool = False) -> str:
    """The report as the prompt shows it: one unit per line, "[n] text"; with `paragraphs`, a blank
    line where the report has one between two units (a paragraph break is a hint of a new section)."""
    lines = []
    for i, u in enumerate(units, start=1):
        if paragraphs and i > 1 and _BLANK_LINE.search(text, units[i - 2].end, u.start):
            lines.append("")
        lines.append(f"[{i}] {text[u.start : u.end]}")
    return "\n".join(lines)
