"""Rule-based sectioner: split a chest X-ray report at its headers.

The text from a header to the next header (of any kind, see ``headers``) is that
header's section. Section values are exact substrings of the input: only the
surrounding whitespace and the header itself are cut, nothing inside is rewritten,
so ``text[start:end] == value`` for every span.

Decisions
---------
- Sections other than the four (TECHNIQUE, EXAM, VIEWS, DATE, ...) end the section
  before them and are dropped.
- Signature and attestation lines ("Electronically signed by ...", "Dictated by ...",
  "Radiologist: ...") end the section before them; their text, up to the next header,
  belongs to no section. A signature block at the end is thus cut from the last one.
- RECOMMENDATION(S) / NOTIFICATION belong to the impression, as in most radiology
  datasets. Right after the impression they extend it (its value then contains the
  recommendation header, since a value must stay one substring). Anywhere else they
  are dropped, with the reason ``detached_recommendation``.
- ADDENDUM is dropped; it may amend the impression, so it lowers the confidence.
- A combined header ("FINDINGS/IMPRESSION") goes to its first section.
- A repeated header: if the repeats follow each other directly, the value runs from
  the first non-empty one to the end of the last ("INDICATION: a. INDICATION: b."
  gives "a. INDICATION: b."); otherwise the first non-empty one wins.
- A header with nothing after it gives ``None``; "COMPARISON: None." keeps "None.".
- No header of the four sections at all: every value is ``None``, confidence 0.0 and
  reason ``no_headers``; the caller is expected to route the report elsewhere.

Confidence scale
----------------
Starts at 1.0; each problem found subtracts its penalty (clamped to 0..1):

=============================  =======  ==============================================
reason                         penalty  meaning
=============================  =======  ==============================================
``no_headers``                 (0.0)    no header of the four sections; all ``None``
``no_findings_or_impression``  0.5      only indication/comparison headers
``duplicate_header:<name>``    0.3      a section header occurs more than once
``preamble_text``              0.3      prose before the first header (not a title)
``addendum``                   0.3      an addendum follows
``combined_header``            0.2      one header names two sections
``unknown_header``             0.15     a capitalised "LABEL:" line that is no alias
``detached_recommendation``    0.1      recommendations apart from the impression
``contains_other_header``,     0.5      the validator of LLM answers fails (``checks``)
``overlap``, ``not_verbatim``
``header_inside:<name>``,      0.3      a plausibility check fails (``checks``)
``field_inside:<name>``,
``findings_in_indication``,
``comparison_in_indication``,
``long_comparison``,
``date_after_indication``
``long_indication``            0.2      an indication much longer than the rest
``text_after_field``           0.2      prose after a field line, before a header
``lenient_header``             0.05     a header the checks found was used (below)
``weak_header``                0.05     a name the grammar reads as prose was taken for a header
=============================  =======  ==============================================

So >= 0.9 means: findings or impression header found, no duplicates, nothing but an
exam title line before the first header, and every check passed. Reasons never contain
report text.

The validator runs where it can fail: a section made of one segment (header to next header) is
verbatim and holds no other section's header by construction; joined repeats may.

Field lines (``fields``) end the section before them; their value, to the end of the
line, belongs to no section. When a check finds another section's header that the
grammar left out ("Comparison: None DESCRIPTION: ..."), the report is split again with
it, and the second split is kept when it fails fewer checks.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Final, NamedTuple

from service.sections.aliases import ADDENDUM, CONTINUATION, OTHER, SIGNATURE, SUBHEADINGS
from service.sections.checks import has_header_label, lenient_hits, plausibility, reads_as_findings, validate
from service.sections.fields import FIELD, STAFF
from service.sections.headers import EXAM_TITLE_RE, SECTION_HEADER_GROUPS, WEAK, Hit, find_headers
from service.sections.headers import clear_caches as headers_clear_caches
from service.sections.result import SECTION_NAMES, SectionResult, Span

PENALTIES: Final[dict[str, float]] = {
    "no_findings_or_impression": 0.5,
    "duplicate_header": 0.3,
    "preamble_text": 0.3,
    "addendum": 0.3,
    "combined_header": 0.2,
    "unknown_header": 0.15,
    "detached_recommendation": 0.1,
    "contains_other_header": 0.5,
    "overlap": 0.5,
    "not_verbatim": 0.5,
    "header_inside": 0.3,
    "field_inside": 0.3,
    "findings_in_indication": 0.3,
    "comparison_in_indication": 0.3,
    "long_comparison": 0.3,
    "long_indication": 0.2,
    "date_after_indication": 0.3,
    "text_after_field": 0.2,
    "lenient_header": 0.05,
    "weak_header": 0.05,
}
_LENIENT_REASONS: Final = ("header_inside", "preamble_text")
_START: Final = operator.attrgetter("start")

ORPHAN: Final = "orphan"
"""Text after a field line, before the next header: it belongs to no section."""

_MAX_TITLE_LINES: Final = 3
_MAX_TITLE_CHARS: Final = 160
_MAX_TITLE_SENTENCES: Final = 2
_SENTENCE_RE: Final = re.compile(r"[A-Za-z]{2}[.!?](?=\s+[A-Z])")

class _Segment(NamedTuple):
    """Text between one header's end and the next header's start."""

    kind: str
    start: int
    end: int
    inline: bool = False  # its header does not start a line


class RulesSectioner:
    """Split reports at known headers; see the module docstring for the rules."""

    def split(self, text: str) -> SectionResult:
        hits = find_headers(text)
        if any(hit.group == WEAK for hit in hits):
            return _split_with_weak(text, hits)
        return _split_checked(text, hits)


def _split_with_weak(text: str, hits: Sequence[Hit]) -> SectionResult:
    """The split at the grammar's headers, or at those and the weak names (``headers.WEAK``) that the
    report's layout vouches for: the report has section headers by the grammar, and each weak name names
    a section that no other label of the report names ("INDICATION: cough comparison: None findings: ...").
    The second split is kept unless it fails more checks."""
    strong = [hit for hit in hits if hit.group != WEAK]
    weak = [(hit, _resolve(hit.kinds)[0]) for hit in hits if hit.group == WEAK]
    named = {_resolve(hit.kinds)[0] for hit in strong if hit.group in SECTION_HEADER_GROUPS}
    repeats = Counter(kind for _, kind in weak)
    promoted = [hit._replace(group="inline") for hit, kind in weak if repeats[kind] == 1 and kind not in named]
    if not promoted or not named:
        return _split_checked(text, strong)
    second = _split_checked(text, sorted([*strong, *promoted], key=_START))
    if second.reasons and len(second.reasons) > len((first := _split_checked(text, strong)).reasons):
        return first
    confidence = round(max(0.0, second.confidence - PENALTIES["weak_header"]), 2)
    return SectionResult(second.sections, second.spans, confidence, (*second.reasons, "weak_header"))


def _split_checked(text: str, hits: Sequence[Hit]) -> SectionResult:
    """The split at `hits`; where a check sees a header the grammar left out ("Comparison: None
    DESCRIPTION: ..."), the split again with it, kept when it passes the checks the first one failed."""
    result = _split(text, hits)
    if not any(r.startswith(_LENIENT_REASONS) for r in result.reasons):
        return result
    extra = lenient_hits(text, result, hits)
    if not extra:
        return result
    second = _split(text, sorted([*hits, *extra], key=_START))
    if len(second.reasons) < len(result.reasons) or second.confidence > result.confidence:
        confidence = round(max(0.0, second.confidence - PENALTIES["lenient_header"]), 2)
        return SectionResult(second.sections, second.spans, confidence, (*second.reasons, "lenient_header"))
    return result


def _split(text: str, hits: Sequence[Hit]) -> SectionResult:
    """The split of one report at the given header hits, checked (see the module docstring)."""
    segments, first_header, reasons = _scan(text, hits)
    by_name: dict[str, list[int]] = {name: [] for name in SECTION_NAMES}
    for index, segment in enumerate(segments):
        if segment.kind in by_name:
            by_name[segment.kind].append(index)
    if not any(by_name.values()):
        return _empty(("no_headers",))

    spans: dict[str, Span | None] = {}
    for name, indices in by_name.items():
        if len(indices) > 1:
            reasons.append(f"duplicate_header:{name}")
        spans[name] = _section_span(text, segments, indices)
    if not by_name["findings"] and not by_name["impression"]:
        reasons.append("no_findings_or_impression")
    if not _plain_preamble(text[:first_header]):
        reasons.append("preamble_text")

    orphans = [s for s in segments if s.kind == ORPHAN and s.end - s.start >= _MIN_PROSE_CHARS]
    if orphans and any(_is_prose(text[s.start : s.end]) for s in orphans):
        reasons.append("text_after_field")
    result = SectionResult.from_spans(text, spans, 1.0)
    # Sections of one segment each are verbatim and hold no other header by construction (every
    # section header ends a segment): the validator can only fail where repeats were joined.
    if any(len(indices) > 1 for indices in by_name.values()) and (problem := validate(text, result, hits)):
        reasons.append(problem)
    reasons.extend(plausibility(text, result, {s.kind for s in segments if s.inline}))
    penalty = sum(PENALTIES[reason.split(":")[0]] for reason in reasons)
    return SectionResult(result.sections, result.spans, round(max(0.0, 1.0 - penalty), 2), tuple(reasons))


def _scan(text: str, hits: Sequence[Hit]) -> tuple[list[_Segment], int, list[str]]:
    """Segments in text order (recommendations right after the impression folded into it), the offset
    of the first header, and reasons so far."""
    bounds: list[tuple[int, int, str, bool]] = []
    reasons: list[str] = []
    for group, name, start, end, kinds in hits:
        if group == "label":
            in_section = bool(bounds) and bounds[-1][2] in SECTION_NAMES
            if in_section and " ".join(name.split()) not in SUBHEADINGS and "unknown_header" not in reasons:
                reasons.append("unknown_header")
            continue
        if group in ("sig", "isig"):
            kind = SIGNATURE
        else:
            kind, combined = _resolve(kinds)
            if combined and "combined_header" not in reasons:
                reasons.append("combined_header")
        bounds.append((start, end, kind, group != "line"))
    segments: list[_Segment] = []
    size = len(text)
    for i, (_, content_start, kind, inline) in enumerate(bounds):
        end = bounds[i + 1][0] if i + 1 < len(bounds) else size
        if kind == FIELD:
            value_end = _field_end(text, content_start)
            if value_end < end:
                segments.append(_Segment(FIELD, content_start, value_end))
                content_start, kind = value_end, ORPHAN
        elif kind == CONTINUATION:  # recommendations right after the impression extend it
            if segments and segments[-1].kind == "impression":
                segments[-1] = segments[-1]._replace(end=end)
                continue
            if "detached_recommendation" not in reasons:
                reasons.append("detached_recommendation")
        elif kind == ADDENDUM and "addendum" not in reasons:
            reasons.append("addendum")
        segments.append(_Segment(kind, content_start, end, inline))
    return segments, bounds[0][0] if bounds else size, reasons


def _field_end(text: str, start: int) -> int:
    """End of a field's value: its line, or the next line when the label stands alone."""
    line_end = _line_end(text, start)
    if text[start:line_end].strip() or line_end == len(text):
        return line_end
    return _line_end(text, line_end + 1)


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    if end < 0:
        end = len(text)
    carriage = text.find("\r", start, end)
    return end if carriage < 0 else carriage


@lru_cache(maxsize=1024)
def _resolve(kinds: tuple[str, ...]) -> tuple[str, bool]:
    """The kind of a header that may join several names, and whether it names two sections."""
    sections = [kind for kind in kinds if kind in SECTION_NAMES]
    if sections:
        return sections[0], len(set(sections)) > 1
    for kind in (CONTINUATION, ADDENDUM, SIGNATURE, FIELD):
        if kind in kinds:
            return kind, False
    return SIGNATURE if STAFF in kinds else OTHER, False


def _section_span(text: str, segments: list[_Segment], indices: list[int]) -> Span | None:
    """Span of one section given the indices of its segments (see docstring)."""
    stripped = (_strip(text, segments[i].start, segments[i].end) for i in indices)
    found = [span for span in stripped if span is not None]
    if not found:
        return None
    if indices == list(range(indices[0], indices[-1] + 1)):
        return found[0][0], found[-1][1]
    return found[0]


def _strip(text: str, start: int, end: int) -> Span | None:
    """(start, end) without surrounding whitespace (and the commas of a flattened line break), or None
    when nothing is left."""
    chunk = text[start:end]
    left = chunk.lstrip(_BLANK)
    if not left:
        return None
    start += len(chunk) - len(left)
    return start, start + len(left.rstrip(_BLANK))


_BLANK: Final = " \t\r\n\f\v,;"


def _is_prose(chunk: str) -> bool:
    """Four words or more that are not an exam title: text that some section may have lost."""
    return len(_WORDS_RE.findall(chunk)) >= _MIN_PROSE_WORDS and not _is_title(chunk)


_WORDS_RE: Final = re.compile(r"[A-Za-z]{2,}")
_MIN_PROSE_WORDS: Final = 4
_MIN_PROSE_CHARS: Final = 3 * _MIN_PROSE_WORDS - 1  # four words of two letters, three blanks between


def _plain_preamble(preamble: str) -> bool:
    """Empty or an exam title, with no header label and no findings in it. Short ones are cached: a
    corpus repeats its titles ("CHEST 2 VIEWS", "PA AND LATERAL CHEST")."""
    if len(preamble) <= _MAX_TITLE_LINES * _MAX_TITLE_CHARS:
        return _cached_plain_preamble(preamble)
    return _read_preamble(preamble)


def _read_preamble(preamble: str) -> bool:
    return _is_title(preamble) and not has_header_label(preamble) and not reads_as_findings(preamble)


_cached_plain_preamble: Final = lru_cache(maxsize=4096)(_read_preamble)


def clear_caches() -> None:
    """Forget the titles and header lines seen (a benchmark's rounds each start cold)."""
    _cached_plain_preamble.cache_clear()
    headers_clear_caches()


def _is_title(preamble: str) -> bool:
    """True when the text before the first header is empty or an exam title."""
    lines = [line for line in preamble.splitlines() if line.strip()]
    if len(lines) > _MAX_TITLE_LINES or len(_SENTENCE_RE.findall(preamble)) > _MAX_TITLE_SENTENCES:
        return False
    return all(len(line) <= _MAX_TITLE_CHARS and EXAM_TITLE_RE.search(line) for line in lines)


def _empty(reasons: tuple[str, ...]) -> SectionResult:
    return SectionResult(
        sections=dict.fromkeys(SECTION_NAMES),
        spans=dict.fromkeys(SECTION_NAMES),
        confidence=0.0,
        reasons=reasons,
    )
