"""Checks of a sectioning against its report: the validator every answer must pass, and plausibility.

`validate` is the contract of a sectioning, the same for an LLM answer (`task`) and for the rules:
sections are verbatim, do not overlap, and none holds another section's header. `plausibility`
looks for the ways a header-based split goes wrong on layouts the header grammar does not cover
(each one rare in well-headered reports, measured in `benchmarks/RESULTS.md`):

=============================  =====================================================================
reason                         what was found
=============================  =====================================================================
``header_inside:<name>``       another section's header, in any case and position, followed by ":"
``field_inside:<name>``        an administrative ``Label:`` (``fields``) in any case and position
``findings_in_indication``     two indication sentences that read as findings (anatomy, no
                               history cue), one after the first while findings are missing,
                               three different anatomy words, or a findings statement ("the
                               lungs are clear", "heart size is normal"), full stop or not
``comparison_in_indication``   while the comparison is missing, an indication sentence says
                               "comparison" / "compared" / "no prior" / "dated", one after the
                               first reads as a comparison, or the indication ends in "None" or
                               a date
``date_after_indication``      while comparison and findings are both missing (nothing labels the
                               text between indication and impression), the indication ends in
                               dates, times or placeholders ("... cough [**Date**]", "... drain out yesterday");
                               only the confidence drops (`headerless.repair` does not relabel it)
``long_comparison``            a comparison of findings sentences, or of more than 40 words; while
                               findings are missing, a later sentence with no comparison cue and
                               no date, or four words after its last date
``long_indication``            an indication over 25 words and twice as long as findings and
                               impression together
=============================  =====================================================================

Reasons name a check and a section, never report text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Final

from service.sections.aliases import ALIASES, SECTION_KINDS
from service.sections.fields import ADMIN_WORDS, field_kind
from service.sections.headers import SECTION_HEADER_GROUPS, Hit, find_headers, name_kinds, normal_spelling
from service.sections.result import SectionResult, Span
from service.sections.units import split_units

# The cue patterns are in lower case and read lower-cased text (2-4x faster than (?i) alternations);
# `_NONE_INSIDE` reads the text as written.
_FINDINGS_CUE: Final = re.compile(
    r"\b(?:lungs?|heart|cardiac|cardiomediastinal|mediastin\w*|hil(?:ar|um|a)|pleural|pneumothorax|effusions?"
    r"|osseous|bony|silhouette|opacit\w*|consolidation|atelecta\w*|vascular\w*|aort\w*|trachea|diaphragm\w*"
    r"|costophrenic|granulomas?|nodules?|sternotomy|interstitial|cardiomegaly|edema)\b"
)
_HISTORY_CUE: Final = re.compile(
    r"\b(?:\d{1,3}[- ]?(?:year|yr|y/?o|yo\b)|years? old|history|hx|s/p|status post|complain\w*|pain|cough"
    r"|fever|short(?:ness)? of breath|sob|dyspnea|evaluat\w*|eval|r/o|rule out|assess\w*|pre-?op\w*|screen\w*"
    r"|follow[- ]?up|trauma|fall|injur\w*|weakness|fatigue|hemoptysis|wheez\w*|chills|tb|ppd|positive|smok\w*"
    r"|male|female|man|woman|patient|pt|for|question|concern|suspect\w*|\?)"
)
_COMPARISON_CUE: Final = re.compile(r"\b(?:compar\w*|prior|previous|earlier|old films?)\b")
_PLACEHOLDER: Final = r"(?:x{3,}|\[\*\*[^*\]]*\*\*\]|<date>|_{3,})"
_COMPARISON_TAIL: Final = re.compile(
    rf"(?:\bnone|\b\d{{1,4}}[/-]\d{{1,2}}(?:[/-]\d{{2,4}})?|{_PLACEHOLDER},[ \t]*(?:{_PLACEHOLDER}|\d{{4}}))\W*$"
)
"""An indication that ends in "None" or a date (also a de-identified one, "XXXX, XXXX") has
swallowed an unlabelled comparison."""
_NONE_INSIDE: Final = re.compile(r"\b(?:None|NONE)\b\.?[ \t]+[A-Z]")
"""An unlabelled "None" comparison between the indication and what follows."""
_DATE_TAIL: Final = re.compile(
    rf"(?:^|[\s.,;:])((?:(?:at|on|of|from|dated|since|earlier|today|yesterday|this|morning|afternoon|evening"
    rf"|tonight|hours?|hrs?|days?|weeks?|months?|ago|{_PLACEHOLDER}|\d{{1,4}}(?:[/:.-]\d{{1,4}})*)[\s,./-]*){{1,6}})$"
)
"""The end of a value that is only dates, times and de-identified words ("... cough [**Date**]",
"... for surgery. [**Date**].", "... drain out this morning at [**Time**]")."""
_DATED: Final = re.compile(rf"{_PLACEHOLDER}|\d|\b(?:none|yesterday|today|earlier|dated|available)\b")
"""A sentence of a comparison: a date, a placeholder, "none" / "not available"."""
_WORDS: Final = re.compile(r"[A-Za-z]{2,}")
_MIN_WORDS_AFTER_DATE: Final = 4
_DATE_WORD: Final = re.compile(rf"{_PLACEHOLDER}|\d[/:.-]\d|\b(?:yesterday|today|earlier)\b")
_FINDINGS_STATEMENT: Final = re.compile(
    r"\b(?:lungs?|heart(?: size)?|cardiomediastinal silhouette|mediastin\w*|pleural spaces?|osseous structures"
    r"|bony structures|pulmonary vasculature)\s+(?:is|are|appears?|remains?)\s+(?:\w+\s+){0,2}?"
    r"(?:normal|clear|unremarkable|within normal limits|stable|intact|expanded)\b"
)
"""A findings statement ("the lungs are clear", "heart size is normal"): never a history."""
_MIN_FINDINGS_CUES: Final = 3
_STRONG_COMPARISON_CUE: Final = re.compile(r"\b(?:compar(?:ison|ed)|no prior|none available|dated)\b")
_PARAGRAPH: Final = re.compile(r"\n[ \t]*\r?\n")
_LABEL: Final = re.compile(r"(?<![\w'#/-])([A-Za-z][\w'#/-]*(?:[ \t]+[A-Za-z#][\w'#/-]*){0,3})[ \t]*:(?!//)")

_DISTINCT: Final = frozenset(
    alias for alias, kind in ALIASES.items()
    if kind in SECTION_KINDS and (len(alias) >= 7 or " " in alias)
    and alias not in {"PREVIOUS", "SUMMARY", "OPINION", "DETAILS", "RESULTS", "DIAGNOSIS", "DIAGNOSES"}
)
"""Section aliases distinctive enough to count as a header wherever they stand before a colon."""

_SECTION_KIND_SET: Final = frozenset(SECTION_KINDS)
LONG_COMPARISON_WORDS: Final = 40
LONG_INDICATION_WORDS: Final = 25


def validate(text: str, result: SectionResult, hits: Sequence[Hit] | None = None) -> str | None:
    """The first reason the sectioning breaks the contract (verbatim, no overlap, no other
    section's header inside a section), or None. `hits`: `find_headers(text)`, when known."""
    for name, span in result.spans.items():
        if (span is None) != (result.sections[name] is None):
            return "not_verbatim"
        if span is not None and text[span[0] : span[1]] != result.sections[name]:
            return "not_verbatim"
    return validate_spans(text, result.spans, hits)


def validate_spans(text: str, spans: dict[str, Span | None], hits: Sequence[Hit] | None = None) -> str | None:
    """`validate` for spans alone: overlap, or another section's header inside a section."""
    present = sorted((span, name) for name, span in spans.items() if span is not None)
    for (earlier, _), (later, _) in zip(present, present[1:], strict=False):
        if later[0] < earlier[1]:
            return "overlap"
    if not present:
        return None
    for group, _, at, _, kinds in find_headers(text) if hits is None else hits:
        if group not in SECTION_HEADER_GROUPS or not _SECTION_KIND_SET.intersection(kinds):
            continue  # a field, a signature, an OTHER section: no section's header
        for (start, end), name in present:
            if start <= at < end and any(k in SECTION_KINDS and k != name for k in kinds):
                return "contains_other_header"
    return None


def plausibility(text: str, result: SectionResult, inline: Collection[str] = ()) -> list[str]:
    """Reasons (see the module docstring) why the sectioning looks wrong.

    The checks of content (cue words, lengths) look only at sections whose end the layout leaves in
    doubt (`doubtful`): a section that is not on lines of its own ("Reason: fever. No prior. Lungs
    are clear. IMPRESSION: ...") or that holds a paragraph break. A section on lines of its own,
    headed at a line start, is what its header says, whatever its words.
    """
    reasons: list[str] = []
    sections = result.sections
    for name, value in sections.items():
        if not value or ":" not in value:
            continue
        labels = [" ".join(m.group(1).split()) for m in _LABEL.finditer(value)]
        if any(_is_header_of_other(label, name) for label in labels):
            reasons.append(f"header_inside:{name}")
        if any(_is_field(label.upper()) for label in labels):
            reasons.append(f"field_inside:{name}")
    doubtful = doubtful_sections(text, result, inline)
    indication = sections["indication"] if "indication" in doubtful else None
    comparison = sections["comparison"] if "comparison" in doubtful else None
    if indication:
        lower = indication.lower()
        cues = {m.group() for m in _FINDINGS_CUE.finditer(lower)}
        units = _units(indication) if cues or _COMPARISON_CUE.search(lower) else [lower]
        findings_like = [i for i, unit in enumerate(units) if cues and _reads_as(_FINDINGS_CUE, unit)]
        if (len(findings_like) >= 2 or (not sections["findings"] and any(i > 0 for i in findings_like))
                or len(cues) >= _MIN_FINDINGS_CUES or (cues and _FINDINGS_STATEMENT.search(lower))):
            reasons.append("findings_in_indication")
        if not sections["comparison"] and _comparison_like(indication, lower, units):
            reasons.append("comparison_in_indication")
        elif not sections["comparison"] and not sections["findings"] and _date_tail(lower):
            reasons.append("date_after_indication")
        words = len(indication.split())
        others = len((sections["findings"] or "").split()) + len((sections["impression"] or "").split())
        if words > LONG_INDICATION_WORDS and words > 2 * others:
            reasons.append("long_indication")
    if comparison and _long_comparison(comparison, findings_missing=not sections["findings"]):
        reasons.append("long_comparison")
    return reasons


def _long_comparison(comparison: str, findings_missing: bool) -> bool:
    """Over 40 words, a findings sentence, or (while the findings are missing, so that they may
    follow unlabelled) a later sentence with neither a comparison cue nor a date, or four words
    after its last date ("Radiograph [**Date**] two views of the upright patient")."""
    if len(comparison.split()) > LONG_COMPARISON_WORDS:
        return True
    units = _units(comparison)
    if any(_FINDINGS_CUE.search(u) and not _COMPARISON_CUE.search(u) for u in units):
        return True
    if not findings_missing:
        return False
    if any(not _COMPARISON_CUE.search(u) and not _DATED.search(u) for u in units[1:]):
        return True
    lower = comparison.lower()
    dates = list(_DATED.finditer(lower))
    return bool(dates) and len(_WORDS.findall(lower, dates[-1].end())) >= _MIN_WORDS_AFTER_DATE


def doubtful_sections(text: str, result: SectionResult, inline: Collection[str] = ()) -> set[str]:
    """Sections headed inside a line (`inline`), ending inside a line, or holding a paragraph break."""
    doubtful = set()
    for name, span in result.spans.items():
        if span is None:
            continue
        line_end = text.find("\n", span[1])
        rest = text[span[1] : len(text) if line_end < 0 else line_end]
        if name in inline or rest.strip(" \t\r,;") or _PARAGRAPH.search(text, span[0], span[1]):
            doubtful.add(name)
    return doubtful


def lenient_hits(text: str, result: SectionResult, hits: Sequence[Hit]) -> list[Hit]:
    """Headers of other sections that the checks see inside sections, or before the first header:
    a section alias, in any case and after any word, followed by ":"."""
    first = min((hit.start for hit in hits), default=len(text))
    regions = [(0, first, "")] + [(span[0], span[1], name) for name, span in result.spans.items() if span]
    found = []
    for start, end, name in regions:
        for match in _LABEL.finditer(text, start, end):
            words = list(re.finditer(r"\S+", match.group(1)))
            for i, word in enumerate(words):
                tail = match.group(1)[word.start() :]
                kinds = name_kinds(" ".join(tail.split()))
                if not kinds or not any(kind in SECTION_KINDS and kind != name for kind in kinds):
                    continue
                before = words[i - 1].group() if i else _word_before(text, match.start(1))
                if tail.islower() and " " not in tail and before[:1].islower():
                    break  # "the overall impression: mild edema" is prose
                found.append(Hit("inline", tail, match.start(1) + word.start(), match.end(), kinds))
                break
    return found


def _word_before(text: str, at: int) -> str:
    match = _WORD_BEFORE.search(text, max(0, at - 40), at)
    return match.group(1) if match else ""


_WORD_BEFORE: Final = re.compile(r"(\S+)[ \t]*\Z")


def reads_as_findings(chunk: str) -> bool:
    """Anatomy words ("lungs", "pleural", ...): findings, not an exam title."""
    return _FINDINGS_CUE.search(chunk.lower()) is not None


def has_header_label(chunk: str) -> bool:
    """A section's header, in any case, followed by ":" somewhere in text that belongs to no section."""
    return ":" in chunk and any(
        name_kinds(" ".join(m.group(1).split()[-size:])) for m in _LABEL.finditer(chunk)
        for size in range(1, len(m.group(1).split()) + 1)
    )


def _comparison_like(indication: str, lower: str, units: list[str]) -> bool:
    """`lower`: the indication in lower case; `units`: its units in lower case."""
    if _COMPARISON_TAIL.search(lower[-_TAIL_CHARS:]) or _NONE_INSIDE.search(indication):
        return True
    if _STRONG_COMPARISON_CUE.search(lower):
        return True
    return _COMPARISON_CUE.search(lower) is not None and any(
        _reads_as(_COMPARISON_CUE, unit) for unit in units[1:]
    )


_TAIL_CHARS: Final = 48


def _date_tail(value: str) -> bool:
    """The value (in lower case) ends in dates, times or placeholders after its words: where nothing separates the
    indication from the impression, that is where an unlabelled comparison ("[**Date**]", "yesterday") sits."""
    match = _DATE_TAIL.search(value[-_TAIL_CHARS:])
    if match is None or _DATE_WORD.search(match.group(1)) is None:
        return False
    return match.start(1) > 0 or len(match.group(1).split()) >= 2  # "Hx: [**Name**] [**Date**]": one may be a date


def _reads_as(cue: re.Pattern[str], unit: str) -> bool:
    """The unit has the cue and no cue of a history."""
    return cue.search(unit) is not None and _HISTORY_CUE.search(unit) is None


def _units(value: str) -> list[str]:
    """The value's units in lower case, as the cue patterns read them."""
    return [value[u.start : u.end].lower() for u in split_units(value, headers=False)]


@lru_cache(maxsize=4096)
def _is_header_of_other(label: str, name: str) -> bool:
    """A tail of the label names another section: a distinctive alias, a capitalised one, a single
    word ("... breathing prior: ..."), or any alias that is the whole label."""
    words = label.split()
    for size in range(len(words), 0, -1):
        tail = " ".join(words[-size:])
        kinds = name_kinds(tail)
        upper = normal_spelling(tail.upper())
        if kinds and (size == len(words) or upper in _DISTINCT or tail[0].isupper() or size == 1):
            return any(kind in SECTION_KINDS and kind != name for kind in kinds)
    return False


@lru_cache(maxsize=4096)
def _is_field(label: str) -> bool:
    words = label.lower().split()
    return any(field_kind(" ".join(words[-size:])) is not None for size in range(len(words), 0, -1)) and (
        words[-1] in ADMIN_WORDS
    )
