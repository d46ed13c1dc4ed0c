"""A heuristic splitter for reports without headers: the fallback when no LLM answers well.

The report is cut into units (sentences and lines, `units`, and at soft breaks: `heuristic_units`); each
unit is scored for each state by a linear model over its features (`unit_features`: cue words — an age
or a symptom for the indication, "prior"/"compared" for the comparison, anatomy for the findings, a
conclusion phrase for the impression — those of the units before and after, and its place: first, last,
first or last paragraph, paragraph start or end, length, position), and the best labelling in report
order — indication, comparison, findings, impression, each one run of units, any of them absent — is
found by dynamic programming, with learned weights for staying in a state or moving on, at a blank line
or not. The weights (`heuristic_weights.json`) are learned by `models/train_heuristic.py` (an averaged
structured perceptron) from radprep's own generated reports and washu_hl7, never from evaluation text.
The result carries a low confidence (`CONFIDENCE`): good enough to keep a dataset usable, never mistaken
for a header-based split.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final

from service.sections.aliases import SECTION_KINDS, SIGNATURE
from service.sections.fields import STAFF
from service.sections.headers import SECTION_HEADER_GROUPS, Hit, find_headers
from service.sections.result import SECTION_NAMES, SectionResult, Span
from service.sections.rules import RulesSectioner
from service.sections.rules import clear_caches as rules_clear_caches
from service.sections.units import UNIT_CUTS, Unit, split_units
from service.sections.units import clear_cache as units_clear_cache

CONFIDENCE = 0.4
REPAIR_CONFIDENCE = 0.6
_REPAIRABLE = frozenset({"findings_in_indication", "comparison_in_indication", "long_comparison", "long_indication"})
_SOFT_BREAK = re.compile(r"(?<=[\w\]])[ \t]+(?=[A-Z][a-z]+(?:[ \t]+(?:[A-Z][a-z]+[ \t]+)?[a-z]|[.,;:]))")
"""A sentence boundary that lost its punctuation, as flattened exports leave them: a capitalised word
after a word, a number or a de-identification placeholder, that starts a phrase in lower case or stands
alone before a stop or comma or before such a phrase ("... hypertension None available", "Prior: None
Lungs appear clear", "chest pain XXXX The heart ...", "for surgery None The heart is"). Never inside a
title ("Xray Chest PA and Lateral": no lower-case phrase follows)."""
_HEADER_BONUS = 1.0
_FORBIDDEN = -1e9
WEIGHTS_PATH: Final = Path(__file__).with_name("heuristic_weights.json")
# The cue patterns are in lower case and read the lower-cased unit (`_cues`).
_INDICATION = re.compile(
    r"\b(?:\d{1,3}[- ]?(?:year|yr|y/?o|yo\b)|years? old|history|hx|s/p|status post|complain|pain|cough|fever"
    r"|short(?:ness)? of breath|sob|dyspnea|evaluat|eval\b|r/o|rule out|assess|preop|pre-op|screen|follow[- ]?up"
    r"|trauma|fall|injur|weakness|fatigue|hemoptysis|wheez|chills|tb\b|ppd|positive|smoker|smoking|male|female"
    r"|man\b|woman\b|patient with|pt with|for (?:placement|evaluation))"
)
_COMPARISON = re.compile(
    r"\b(?:compar|prior|previous|earlier|none available|no prior|not available|dated|radiographs? (?:from|of)"
    r"|exam(?:ination)? (?:from|of)|^none\.?$)"
)
_FINDINGS = re.compile(
    r"\b(?:lungs?|heart|cardiac|cardiomediastinal|mediastin|hilar|hila|pleural|pneumothorax|effusion|osseous"
    r"|bony|bones?|silhouette|contour|opacit|consolidation|atelecta|vascular|aort|trachea|diaphragm|costophrenic"
    r"|soft tissues?|spine|ribs?|clavicle|granuloma|nodule|size|within normal limits|clear|tube|catheter|line|"
    r"sternotomy|degenerative|interstitial|markings|lucency|calcifi)"
)
_IMPRESSION = re.compile(
    r"\b(?:no acute|acute (?:cardio|pulmon|disease|process|abnormal)|negative"
    r"|normal (?:chest|study|exam|radiograph)"
    r"|unremarkable (?:chest|study|exam)|impression|likely|consistent with|suggest|compatible with|concerning for"
    r"|recommend|stable (?:chest|exam|appearance)|no (?:evidence of )?(?:active|significant)|improv|worsen"
    r"|resolv|unchanged|interval)"
)
# A short unit that is only a date or a de-identification placeholder ("XXXX", "[**Date**]", "___").
# Each repetition is atomic and its runs possessive: nested repeats over the same blanks and digits
# would otherwise try every way of splitting a long run of dates that fails at its end (exponential).
_DATE_ONLY = re.compile(
    r"^(?>(?:chest|radiograph|x-?ray|study|exam|pa|and|lateral|views?|of|from|dated|on|,|\s|\.)*+"
    r"(?:\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{1,4})?|xxxx|\[\*\*[^*]*\*\*\]|_{2,}|<date>)[\s,./-]*+)+$"
)
_SHORT_UNIT = 160  # longer units are no comparison of their own
_LIST_ITEM = re.compile(r"^\d{1,2}[.)]\s")
_TITLE = re.compile(r"^(?:exam|examination|chest|xr|x-?ray|cxr|pa and lat|portable|ap)\b[^.]{0,60}$")

_SECTION_LIKE = frozenset({*SECTION_KINDS, "continuation", "addendum"})


def _heads_section(hit: Hit) -> bool:
    """A header that starts a section (or continues one), not a field, title or signature label."""
    return hit.group in SECTION_HEADER_GROUPS and bool(set(hit.kinds) & _SECTION_LIKE)


def _left_out(hit: Hit) -> bool:
    """A known label whose line is no section's text: a field ("Ordering physician:", "EXAM:") or a
    signature. An unknown label may head findings: kept."""
    return hit.group in (*SECTION_HEADER_GROUPS, "sig", "isig") and not _heads_section(hit)
STATES: Final = ("none_before", *SECTION_NAMES, "none_after")


def rules_or_heuristic(text: str, rules: RulesSectioner | None = None) -> SectionResult:
    """The rules result, or the heuristic split when the report has no headers at all.

    A report with headers of other sections only (EXAM, TECHNIQUE, ...) keeps the rules result: its
    text is titles and technique, not sections without their headers.
    """
    result = (rules or RulesSectioner()).split(text)
    if "no_headers" not in result.reasons:
        return repair(text, result) if repairable(result) else result
    skip = skipped_ranges(text)
    return result if skip is None else split_headerless(text, skip)


def repairable(result: SectionResult) -> bool:
    """Whether the heuristic labels a headered rules result again (`repair`): its findings are missing and
    a check found another section's sentences inside an indication or comparison, or prose stands before
    its first header (``preamble_text``: "Line placement. The catheter tip is ... IMPRESSION: ...")."""
    if "preamble_text" in result.reasons:
        return True
    return result.spans["findings"] is None and any(reason in _REPAIRABLE for reason in result.reasons)


def skipped_ranges(text: str) -> list[Span] | None:
    """What a report without section headers leaves out of its sections: its known field lines
    ("Ordering physician: ...", "Exam: ...") and everything from a signature block on ("Electronically
    signed by", "Dictated by"). None when it has headers of other sections only (EXAM, TECHNIQUE, ...):
    its text is titles and technique, not sections without their headers."""
    hits = find_headers(text)
    if any(_heads_section(hit) for hit in hits):
        return None
    skip: list[Span] = []
    for hit in hits:
        if not _left_out(hit):
            continue
        if SIGNATURE in hit.kinds or STAFF in hit.kinds:
            skip.append((hit.start, len(text)))
            break
        line_end = text.find("\n", hit.start)
        skip.append((hit.start, len(text) if line_end < 0 else line_end))
    return skip


def repair(text: str, result: SectionResult) -> SectionResult:
    """Where a check found another section's sentences inside an indication or comparison and the
    findings are missing (a layout that labels some sections only: "Reason: fever. No prior. Lungs are
    clear. IMPRESSION: ..."), or prose stands before the first header, the heuristic labels the sentences
    again, cut at soft breaks too (`_SOFT_BREAK`: "Reason: cough None available The lungs ..."), within
    the sections the headers found and the prose before them (`relabel`). Confidence at most
    `REPAIR_CONFIDENCE`, reason ``heuristic_repair``.
    """
    spans = relabel(text, result)
    if spans is None:
        return result
    confidence = min(result.confidence, REPAIR_CONFIDENCE)
    return SectionResult.from_spans(text, spans, confidence, (*result.reasons, "heuristic_repair"))


def relabel(text: str, result: SectionResult, extra: Sequence[Sequence[float]] | None = None,
            ) -> dict[str, Span | None] | None:
    """The sentences of `result`'s sections labelled again by the heuristic, plus `extra` where given
    (as in `split_with_scores`). Headers keep their place: a section's first sentence stays its own,
    and its later ones may go only to the sections that are missing between it and the next one found
    (none after the last one). Where the rules found prose before the first header (``preamble_text``),
    its sentences may go to the sections before that header's, or to none (a title); field lines there
    ("Ordering physician: ...", "EXAM: ...") stay out. Other text outside the sections stays outside.
    None when there are no sections or they are out of order."""
    present = sorted((span, name) for name, span in result.spans.items() if span is not None)
    order = [SECTION_NAMES.index(name) for _, name in present]
    if not present or order != sorted(order):
        return None
    hits = find_headers(text)  # known (cached) already
    preamble_end = _preamble_end(hits, present[0][0][0]) if "preamble_text" in result.reasons else 0
    # A section holds a header only where repeats were joined; the preamble may hold field labels.
    first = 0 if preamble_end else present[0][0][0]
    inner = sorted({hit.start for hit in hits if hit.group in UNIT_CUTS}
                   | {soft.end() for soft in _SOFT_BREAK.finditer(text, first, present[-1][0][1])})
    units: list[Unit] = []
    owner: list[str | None] = []
    if preamble_end:
        fields = {hit.start for hit in hits if _left_out(hit)}
        cuts = [at for at in inner if 0 < at < preamble_end]
        for unit in split_units(text[:preamble_end], headers=False, cuts=cuts):
            if unit.start not in fields:
                units.append(unit)
                owner.append(None)
    for (start, end), name in present:
        cuts = [at - start for at in inner if start < at < end]
        for unit in split_units(text[start:end], headers=False, cuts=cuts):
            units.append(Unit(start + unit.start, start + unit.end))
            owner.append(name)
    breaks = paragraph_breaks(text, units)
    scores: Sequence[Sequence[float]] = unit_scores(text, units, breaks)
    if extra is not None:
        scores = _plus(units, scores, heuristic_units(text), extra)
    # The states a unit of each present section may take: its own, and after its first unit the missing
    # sections up to the next present one (state numbers: `STATES`, a section's is its rank + 1); a
    # preamble unit: none, or a section before the first present one.
    ranks = [SECTION_NAMES.index(name) for _, name in present]
    later = {name: (rank + 1, (ranks[j + 1] if j + 1 < len(ranks) else rank + 1) + 1)
             for j, ((_, name), rank) in enumerate(zip(present, ranks, strict=True))}
    k = len(STATES)
    allowed = []
    for i, section in enumerate(owner):
        row = scores[i]
        if section is None:
            allowed.append([*row[: ranks[0] + 1]] + [_FORBIDDEN] * (k - ranks[0] - 1))
            continue
        own, end = later[section]
        if i == 0 or owner[i - 1] != section:
            end = own + 1
        allowed.append([_FORBIDDEN] * own + [row[own] + _HEADER_BONUS, *row[own + 1 : end]] + [_FORBIDDEN] * (k - end))
    return _spans_of(units, best_states(allowed, breaks, _model()[1]))


def _preamble_end(hits: Sequence[Hit], first_section: int) -> int:
    """Where the header of the first section found starts: the last section header before its text."""
    starts = [hit.start for hit in hits if hit.start < first_section and _heads_section(hit)]
    return max(starts, default=0)


def split_headerless(text: str, skip: Sequence[Span] = ()) -> SectionResult:
    """The heuristic split of `text`, leaving out the units that start inside a `skip` range."""
    spans = _labelled(text, skip)
    if spans is None:
        return SectionResult.from_spans(text, {}, 0.0, ("empty",))
    return SectionResult.from_spans(text, spans, CONFIDENCE, ("no_headers", "headerless_heuristic"))


def split_with_scores(text: str, extra: Sequence[Sequence[float]]) -> dict[str, Span | None]:
    """The heuristic's split with more evidence: `extra` holds, for each of its units
    (`heuristic_units(text)`), a score per state (`STATES` order), added to the heuristic's scores before
    the best labelling is found. An LLM's letter log-probabilities for the same units, scaled, make this
    a joint decode: the model labels, the heuristic and the one-run-per-section order settle what it is
    unsure of. The units the heuristic leaves out (`skipped_ranges`) stay out."""
    skip = skipped_ranges(text)
    spans = None if skip is None else _labelled(text, skip, extra)
    return dict.fromkeys(SECTION_NAMES) if spans is None else spans


def _labelled(text: str, skip: Sequence[Span], extra: Sequence[Sequence[float]] | None = None,
              ) -> dict[str, Span | None] | None:
    """The best labelling of the heuristic units that start outside `skip`, by the heuristic's scores
    plus `extra` (one row per heuristic unit) where given; None when no unit is left."""
    every = heuristic_units(text)
    units = [u for u in every if not any(a <= u.start < b for a, b in skip)]
    if not units:
        return None
    breaks = paragraph_breaks(text, units)
    scores: Sequence[Sequence[float]] = unit_scores(text, units, breaks)
    if extra is not None:
        scores = _plus(units, scores, every, extra)
    return _spans_of(units, best_states(scores, breaks, _model()[1]))


def _plus(units: list[Unit], scores: Sequence[Sequence[float]], parents: list[Unit],
          extra: Sequence[Sequence[float]]) -> list[list[float]]:
    """Each unit's scores plus the `extra` row of the unit of `parents` (in order, covering them) it starts in."""
    out = []
    j = 0
    for unit, row in zip(units, scores, strict=True):
        while j + 1 < len(parents) and parents[j].end <= unit.start:
            j += 1
        out.append([a + b for a, b in zip(row, extra[j], strict=True)])
    return out


def _spans_of(units: list[Unit], states: list[int]) -> dict[str, Span | None]:
    """Each section's span: from its first unit to its last (a monotone labelling: one run each)."""
    spans: dict[str, Span | None] = dict.fromkeys(SECTION_NAMES)
    for unit, state in zip(units, states, strict=True):
        if 0 < state <= len(SECTION_NAMES):
            name = SECTION_NAMES[state - 1]
            span = spans[name]
            spans[name] = (unit.start, unit.end) if span is None else (span[0], unit.end)
    return spans


_MAX_SCORED_CHARS = 1000
"""A unit's cues are read in its first 1,000 characters: a longer unit is no sentence (a pasted blob, a
report without full stops), and each cue's search of a 100 KB unit took ~50 ms."""


def heuristic_units(text: str) -> list[Unit]:
    """The units the heuristic labels: those of `split_units`, cut at soft breaks too (`_SOFT_BREAK`)."""
    return split_units(text, cuts=[soft.end() for soft in _SOFT_BREAK.finditer(text)])


def paragraph_breaks(text: str, units: list[Unit]) -> list[bool]:
    """For each unit, whether a blank line stands before it."""
    breaks = [False]
    for previous, unit in zip(units, units[1:], strict=False):
        gap = text[previous.end : unit.start]
        breaks.append("\n" in gap and "\n\n" in gap.replace("\r", ""))
    return breaks


_CUE_NAMES: Final = ("title", "indication_cue", "findings_cue", "comparison_cue", "impression_cue", "list_item")


_NEIGHBOUR_FEATURES: Final = tuple(
    {cues: tuple(f"{side}_{name}" for name, cue in zip(_CUE_NAMES[1:5], cues, strict=True) if cue)
     for cues in itertools.product((False, True), repeat=4)}
    for side in ("previous", "next")
)
"""The section cues (indication, findings, comparison, impression) of the unit before and after, by cues."""


def unit_features(text: str, units: list[Unit], breaks: list[bool]) -> list[tuple[str, ...]]:
    """Each unit's features: its cues (`_cues`), those of its neighbours, and its place in the report."""
    n = len(units)
    paragraph = [0] * n
    for i in range(1, n):
        paragraph[i] = paragraph[i - 1] + breaks[i]
    paragraphs = paragraph[-1] + 1 if n else 0
    out = []
    all_cues = [_cues(text[unit.start : min(unit.end, unit.start + _MAX_SCORED_CHARS)]) for unit in units]
    for i, unit in enumerate(units):
        cues = all_cues[i]
        features = ["bias", *(name for name, cue in zip(_CUE_NAMES, cues, strict=True) if cue)]
        if i:
            features += _NEIGHBOUR_FEATURES[0][all_cues[i - 1][1:5]]
        if i < n - 1:
            features += _NEIGHBOUR_FEATURES[1][all_cues[i + 1][1:5]]
        if cues[2] and not cues[1]:
            features.append("findings_cue_only")
        if i == 0:
            features.append("first")
        if i == n - 1:
            features.append("last")
        if paragraphs == 1:
            features.append("one_paragraph")
        else:
            if paragraph[i] == 0:
                features.append("first_paragraph")
            if paragraph[i] == paragraphs - 1:
                features.append("last_paragraph")
            if i == 0 or breaks[i]:
                features.append("paragraph_start")
            if i == n - 1 or breaks[i + 1]:
                features.append("paragraph_end")
        size = unit.end - unit.start
        features.append("short" if size < 30 else "medium" if size < 80 else "long")
        features.append(f"quarter_{min(3, 4 * i // max(1, n))}")
        out.append(tuple(features))
    return out


def unit_scores(text: str, units: list[Unit], breaks: list[bool]) -> list[tuple[float, ...]]:
    """Each unit's score for each state (`STATES` order): the sum of its features' learned weights."""
    return [_row(features) for features in unit_features(text, units, breaks)]


def score_row(weights: Mapping[str, Sequence[float]], features: Sequence[str]) -> tuple[float, ...]:
    """A unit's score for each state: the sum of its features' weights (a feature without any adds nothing)."""
    row = [0.0] * len(STATES)
    for feature in features:
        for state, weight in enumerate(weights.get(feature, ())):
            row[state] += weight
    return tuple(row)


@lru_cache(maxsize=4096)
def _row(features: tuple[str, ...]) -> tuple[float, ...]:
    return score_row(_model()[0], features)


Transitions = tuple[tuple[float, float], tuple[float, float]]
"""(stay, move) scores, each (within a paragraph, at a blank line)."""


@lru_cache(maxsize=1)
def _model() -> tuple[dict[str, tuple[float, ...]], Transitions]:
    model = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    weights = {feature: tuple(row) for feature, row in model["weights"].items()}
    stay, move = model["transitions"]["stay"], model["transitions"]["move"]
    return weights, ((stay[0], stay[1]), (move[0], move[1]))


def clear_caches() -> None:
    """Forget the sentences, titles and header lines seen: each round of a benchmark starts cold."""
    _cues.cache_clear()
    _row.cache_clear()
    units_clear_cache()
    rules_clear_caches()


@lru_cache(maxsize=16384)
def _cues(unit: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    """(title, indication, findings, comparison, impression, list item) cues of a unit. Cached: a
    corpus repeats its sentences ("The lungs are clear.", "No pneumothorax.")."""
    lower = unit.lower()  # the cues are written in lower case: 2-4x faster than (?i) alternations
    return (
        _TITLE.match(lower) is not None,
        _INDICATION.search(lower) is not None,
        _FINDINGS.search(lower) is not None,
        len(unit) < _SHORT_UNIT and (_COMPARISON.search(lower) is not None or _DATE_ONLY.match(lower) is not None),
        _IMPRESSION.search(lower) is not None,
        _LIST_ITEM.match(unit) is not None,
    )


def best_states(scores: Sequence[Sequence[float]], breaks: list[bool], transitions: Transitions) -> list[int]:
    """Monotone labelling (states in STATES order, each entered once) maximising the score.

    A step either stays in its state or moves to a later one with one score whatever the earlier state,
    so the best earlier state is a running maximum: k steps per unit, not k². Ties go to the earliest
    state, and staying wins only when strictly better."""
    n, k = len(scores), len(STATES)
    best = [[0.0] * k for _ in range(n)]
    back = [[0] * k for _ in range(n)]
    best[0] = list(scores[0])
    (stay_in, stay_at_break), (move_in, move_at_break) = transitions
    for i in range(1, n):
        stay, move = (stay_at_break, move_at_break) if breaks[i] else (stay_in, move_in)
        previous, row, pointers, here = best[i - 1], best[i], back[i], scores[i]
        top, top_state = previous[0], 0  # the best state before s, the earliest on ties
        row[0] = previous[0] + stay + here[0]
        for s in range(1, k):
            held = previous[s]
            if held + stay > top + move:
                row[s] = held + stay + here[s]
                pointers[s] = s
            else:
                row[s] = top + move + here[s]
                pointers[s] = top_state
            if held > top:
                top, top_state = held, s
    state = max(range(k), key=lambda s: best[n - 1][s])
    states = [0] * n
    for i in range(n - 1, -1, -1):
        states[i] = state
        state = back[i][state]
    return states
