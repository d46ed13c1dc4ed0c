"""The header grammar: where a header, a field label or a signature stands in a report.

The kinds a header maps to, the alias table and its misspellings are in ``aliases``.

Header grammar
--------------
A *label* is a run of up to six words before a marker: ``:`` or a spaced dash
(`` - ``), or the end of the line for a label alone on its line. The longest tail of the
run that is a known name wins; where the tail starts decides what is accepted:

1. at a line start: any case ("findings:", "Impression -", "FINDINGS" alone on a line);
2. after ``. ! ?`` or ``, ; :`` (flattened exports: "...,FINDINGS: ,The lungs"): any case
   with ``:``; a dash only after a sentence end and not in lower case;
3. after a word ("Indication: Seizure Comparison: None"), followed by ``:``: capitalised
   (Title or UPPER case) names of ``AFTER_WORD_TITLE`` and ``SHORT_LABELS``, non-generic
   names in UPPER case or of several words, and any name right after a lower-case word or a
   de-identification placeholder ("cough Prior:", "XXXX Prior:"); in lower case only names
   of several words of the four sections ("... lateral reason for exam:"). A lower-case
   single word ("... chest pain comparison:") is ``weak``: prose by itself, a header where the
   report's other headers vouch for it (``rules``); never one or two words after a determiner
   ("the overall impression:", "her history:").

A name is an alias (or several joined by ``/``, ``&`` or ``and``: "FINDINGS/IMPRESSION");
a section word may be misspelt by one edit ("IMPRESION", "FINIDNGS", "COMPARISION").
At a line start or after punctuation two more forms count: a label whose last word is a
section noun ("PAST MEDICAL HISTORY", "OPERATIVE FINDINGS", "CLINICAL IMPRESSION") and an
alias qualified by ``for`` / ``of`` ("HISTORY OF PRESENT ILLNESS", "REASON FOR CONSULTATION").
Field labels (``fields.field_kind``) count at a line start or after punctuation, and after a
word when they have two capitalised words or more ("... Verified   Date Reported:").

Signature phrases ("Electronically signed by", "I have personally reviewed", "/ES/")
need no colon; they count at the start of a line or after punctuation.

An ALL-CAPS label at a line start or after ``, ;`` that is none of these ("LUNGS:", "FOO
BAR:") is reported as ``label``; ``rules`` ignores the anatomical ones listed in
``SUBHEADINGS`` and flags the rest.
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache
from typing import Final, NamedTuple

from service.sections.aliases import (
    AFTER_WORD_TITLE,
    ALIASES,
    GENERIC,
    HEAD_NOUNS,
    KNOWN_WORDS,
    MISSPELLINGS,
    OTHER,
    SECTION_KINDS,
    SHORT_LABELS,
    SIGNATURE,
    SIGNATURE_PHRASES,
)
from service.sections.fields import FIELD, field_kind, is_code_label


class Hit(NamedTuple):
    """One header-like match: how it was found, its text, where it lies, what it names."""

    group: str  # "line" | "inline" | "upper" (a known name), "sig"/"isig", "label" (unknown)
    name: str  # the header's text as written
    start: int  # offset of the name
    end: int  # offset after the marker (":", " -"): where the header's content starts
    kinds: tuple[str, ...]  # kinds of the names it joins; () for "label"


SECTION_HEADER_GROUPS: Final = ("line", "inline", "upper")
WEAK: Final = "weak"
"""A section name in lower case with ":" after a word, that the grammar alone reads as prose ("... chest pain
comparison: None"). ``rules`` takes such names for headers only where the report's other headers say it is
laid out in sections (``rules._split_with_weak``); every other reader ignores them."""

_DASHES: Final = "-\u2013\u2014"
_REVERSED_TOKEN: Final = r"[\w'#&/()\-]*[A-Za-z#](?![\w'#&/()\-])"
_REVERSED_RUN_RE: Final = re.compile(rf"{_REVERSED_TOKEN}(?:[ \t]+{_REVERSED_TOKEN}){{0,5}}")
"""A label run (up to six words, each starting with a letter or "#") read backwards from its marker."""
_MAX_RUN_CHARS: Final = 90
_BARE_RE: Final = re.compile(r"[ \t]*([A-Za-z][A-Za-z /&()]{1,40}?)[ \t]*\r?")
_TOKEN_PUNCT: Final = "'#&/()-_"
"""With letters and digits (``\\w``), the characters of a label word."""
_MAX_BARE_CHARS: Final = 48
_SIG_PHRASES_LOWER: Final = (*SIGNATURE_PHRASES, "/es/")
_SIG_STEMS: Final = ("sign", "dictated", "transcribed", "reviewed", "verified", "approved", "read by",
                     "interpreted", "reported by", "attestation", "/es/")
"""Each signature phrase holds one of these: a phrase is looked for only when its stem is in the text."""
_SIG_BY_STEM: Final = {stem: tuple(p for p in _SIG_PHRASES_LOWER if stem in p) for stem in _SIG_STEMS}
_WORD_RE: Final = re.compile(r"\S+")
_JOIN_RE: Final = re.compile(r"[ \t]*[/&][ \t]*|[ \t]+and[ \t]+", re.IGNORECASE)
_PLURAL_RE: Final = re.compile(r"\(s\)$", re.IGNORECASE)
_START: Final = operator.attrgetter("start")
_END: Final = operator.attrgetter("end")
_LINKS: Final = frozenset({"OF", "FOR", "THE", "AND", "TO", "WITH", "ON", "IN", "A"})


@lru_cache(maxsize=32)
def find_headers(text: str) -> tuple[Hit, ...]:
    """Every header, field label, signature and unknown capitalised label, in text order.

    Every rule of the grammar reads one line only (a label run, what precedes it, a bare line, a signature
    phrase), so the hits are found line by line, and a line seen before (templated field lines, "The lungs
    are clear.") is looked up, not read again. Cached per text too: the rules, their checks and the
    headerless split read the same report's headers."""
    if "\n" not in text:
        return _line_hits(text)
    hits: list[Hit] = []
    offset = 0
    for line in text.split("\n"):
        size = len(line)
        if size and (found := _line_hits(line)):
            if offset:
                hits += [Hit(group, name, start + offset, end + offset, kinds)
                         for group, name, start, end, kinds in found]
            else:
                hits += found
        offset += size + 1
    return tuple(hits)


_MAX_CACHED_LINE: Final = 400
"""Longer lines (a flattened report, hostile input) are read each time: the line cache stays small."""


def _line_hits(line: str) -> tuple[Hit, ...]:
    return _cached_line_hits(line) if len(line) <= _MAX_CACHED_LINE else _find_headers(line)


def clear_caches() -> None:
    """Forget the texts and lines seen (a benchmark's rounds each start cold)."""
    find_headers.cache_clear()
    _cached_line_hits.cache_clear()


def _find_headers(text: str) -> tuple[Hit, ...]:
    hits: list[Hit] = []
    markers = _markers(text)
    if markers:
        size = len(text)
        backwards = text[::-1]  # label runs are read backwards from their marker, in one reversed copy
        match_run = _REVERSED_RUN_RE.match
        for mark_start, mark_end in markers:
            end = mark_start
            while end > 0 and text[end - 1] in " \t":
                end -= 1
            if end == 0 or not (text[end - 1].isalnum() or text[end - 1] in _TOKEN_PUNCT):
                continue  # "... ):", "-- -": no word ends at the marker
            at = size - end
            run = match_run(backwards, at, at + _MAX_RUN_CHARS)
            if run is None:
                continue
            start = end - (run.end() - at)
            context = _context(text, start)
            prev_lower = context == "word" and _is_lowerish(_prev_token(text, start))
            found = _classify_label(text[start:end], context, prev_lower, text[mark_start] == ":")
            if found is not None:
                offset, group, kinds = found
                hits.append(Hit(group, text[start + offset : end], start + offset, mark_end, kinds))
    offset = 0
    for line in text.split("\n"):
        if (len(line) <= _MAX_BARE_CHARS and "." not in line and ":" not in line and (match := _BARE_RE.fullmatch(line))
                and (kinds := name_kinds(match[1]))):
            hits.append(Hit("line", match[1], offset + match.start(1), offset + match.end(1), kinds))
        offset += len(line) + 1
    lower = text.lower()
    if len(lower) != len(text):  # a letter whose lower case is longer ("İ"): keep offsets aligned
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    for phrase in {phrase for stem, phrases in _SIG_BY_STEM.items() if stem in lower for phrase in phrases}:
        at = lower.find(phrase)
        while at >= 0:
            after = at + len(phrase)
            if (at == 0 or not lower[at - 1].isalnum()) and (after == len(lower) or not lower[after].isalnum()):
                context = _context(text, at)
                if context != "word":
                    group = "sig" if context == "line" else "isig"
                    hits.append(Hit(group, text[at:after], at, after, (SIGNATURE,)))
            at = lower.find(phrase, after)
    if len(hits) < 2:
        return tuple(hits)
    hits.sort(key=_END, reverse=True)
    hits.sort(key=_START)  # by start, the longer of two hits at one offset first (the sort is stable)
    kept = [hits[0]]
    for hit in hits[1:]:
        if hit.start >= kept[-1].end:
            kept.append(hit)
    return tuple(kept)


_cached_line_hits: Final = lru_cache(maxsize=65536)(_find_headers)


def _markers(text: str) -> list[tuple[int, int]]:
    """(start, end) of every ":" (not of "://") and every dash run after a blank that ends at a blank
    or a line end."""
    found = []
    at = text.find(":")
    while at >= 0:
        if not text.startswith("//", at + 1):
            found.append((at, at + 1))
        at = text.find(":", at + 1)
    for dash in _DASHES:
        at = text.find(" " + dash)
        while at >= 0:
            end = at + 2
            while end < len(text) and text[end] in _DASHES:
                end += 1
            if end == len(text) or text[end] in " \t\r\n":
                found.append((at + 1, end))
            at = text.find(" " + dash, end)
    return found


@lru_cache(maxsize=16384)
def _classify_label(run: str, first_context: str, first_prev_lower: bool,
                    colon: bool) -> tuple[int, str, tuple[str, ...]] | None:
    """(offset of the tail in the run, group, kinds) for the longest tail of `run` accepted in its
    context, or an unknown capitalised label; None when neither."""
    words = [m.start() for m in _WORD_RE.finditer(run)]
    weak = None
    for i, tail_start in enumerate(words):
        context = first_context if i == 0 else "word"
        prev_lower = first_prev_lower if i == 0 else _is_lowerish(run[words[i - 1] : tail_start].strip())
        accepted = _accept(run[tail_start:], context, colon, len(words) - i, prev_lower)
        if accepted is None:
            continue
        if accepted[0] != WEAK:
            return tail_start, accepted[0], accepted[1]
        if weak is None and not _DETERMINERS.intersection(run[words[max(0, i - 2)] : tail_start].lower().split()):
            weak = (tail_start, *accepted)  # the longest weak tail, unless a shorter one is a header
    if weak is not None:
        return weak
    if colon and first_context in ("line", "clause") and len(run) <= 40 and run.isupper():
        return 0, "label", ()
    return None


@lru_cache(maxsize=16384)
def _accept(name: str, context: str, colon: bool, n_words: int,
            prev_lower: bool) -> tuple[str, tuple[str, ...]] | None:
    """(group, kinds) when `name` is a header in this context, else None. `prev_lower`: the word
    before is in lower case (a capital there starts a header, not a sentence)."""
    case = _case(name)
    kinds = name_kinds(name)
    if kinds == (OTHER,) and field_kind(name) is not None:  # EXAM DATE, ACCESSION, ...: a field line
        kinds = (FIELD,)
    if kinds:
        normal = normal_spelling(_normal(name))
        if context == "line":
            return "line", kinds
        if context in ("sentence", "clause", "colon"):
            if not colon and (context != "sentence" or case == "lower"):
                return None
            return "inline", kinds
        if not colon:
            return None
        sections_only = all(k in SECTION_KINDS for k in kinds)
        if case == "lower":
            multiword = " " in normal and normal not in GENERIC and sections_only
            return ("upper", kinds) if multiword else (WEAK, kinds) if sections_only else None
        if case not in ("upper", "title"):
            return None
        if prev_lower or normal in AFTER_WORD_TITLE or normal in SHORT_LABELS or (
            normal not in GENERIC and (case == "upper" or " " in normal)
        ):
            return "upper", kinds
        return None
    if not colon:
        return None
    field = field_kind(name, lenient=context != "word")
    if field is not None:
        if context == "word" and (case not in ("upper", "title") or (n_words < 2 and not is_code_label(name))):
            return None
        return ("inline" if context != "line" else "line"), (field,)
    if context in ("line", "sentence", "clause") and case in ("upper", "title"):
        kind = _grammar_kind(name, context == "line")
        if kind is not None:
            return ("line" if context == "line" else "inline"), (kind,)
    return None


_DETERMINERS: Final = frozenset({
    "the", "a", "an", "this", "that", "these", "those", "his", "her", "its", "their", "our", "my", "your",
    "any", "some", "each", "every", "another", "other", "such", "whose", "which", "what",
})
"""Closed-class words that open a noun phrase: a section name one or two words after one ("the overall
impression:", "her history:") is the phrase's noun, never a weak header. Not "no": a findings sentence
ends in "... no effusion impression:"."""

_PLACEHOLDER_RE: Final = re.compile(r"X{3,}\W*$|\*\*\]\W*$|_{2,}\W*$")
"""A de-identification placeholder ends the word before ("XXXX", "[**Date**]", "___"): a value, not a label."""


def _prev_token(text: str, start: int) -> str:
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    j = i
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    return text[j:i]


def _is_lowerish(token: str) -> bool:
    """A word in lower case, or one that ends a phrase in lower case ("test", "x-ray", "5")."""
    letters = [c for c in token if c.isalpha()]
    return not letters or letters[0].islower() or _PLACEHOLDER_RE.search(token) is not None


def _context(text: str, start: int) -> str:
    """What precedes offset `start`: "line" (a line start), "sentence" (. ! ?), "colon", "clause"
    (, ; and other punctuation) or "word"."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    if i < 0 or text[i] in "\r\n":
        return "line"
    char = text[i]
    if char in "\"')]" and i > 0:
        char = text[i - 1] if text[i - 1] in ".!?" else char
    if char in ".!?":
        return "sentence"
    if char.isalnum():
        return "word"
    return "colon" if char == ":" else "clause"


@lru_cache(maxsize=16384)
def _case(name: str) -> str:
    """Case of a name: "upper", "title" (each word capitalised, none in capitals), "first" (only the first letter
    capitalised), "lower", or "mixed"."""
    letters = [c for c in name if c.isalpha()]
    if not letters:
        return "none"
    if all(c.isupper() for c in letters):
        return "upper"
    words = [w for w in re.split(r"[ \t/&]+", name) if w and w[0].isalpha() and w.upper() not in _LINKS]
    if all(w[0].isupper() and (len(w) <= 3 or not w.isupper()) for w in words):
        return "title"
    if name[0].isupper() and all(c.islower() for c in name[1:] if c.isalpha()):
        return "first"
    if all(c.islower() for c in letters):
        return "lower"
    return "mixed"


def _normal(name: str) -> str:
    return " ".join(_PLURAL_RE.sub("", name).upper().split())


def normal_spelling(normal: str) -> str:
    return " ".join(word if word in KNOWN_WORDS else MISSPELLINGS.get(word, word) for word in normal.split())


@lru_cache(maxsize=8192)
def name_kinds(name: str) -> tuple[str, ...]:
    """Kinds of the aliases joined in a header name ("FINDINGS/IMPRESSION"), or () if it is none."""
    kinds = []
    for part in _JOIN_RE.split(name):
        normal = normal_spelling(_normal(part))
        kind = ALIASES.get(normal)
        if kind is None:
            return ()
        kinds.append(kind)
    return tuple(kinds)


alias_kinds = name_kinds


@lru_cache(maxsize=8192)
def _grammar_kind(name: str, line_start: bool) -> str | None:
    """A section kind by the label grammar: a section noun last (at a line start only), or an alias
    qualified by for/of."""
    words = normal_spelling(_normal(name)).split()
    if not 1 < len(words) <= 6:
        return None
    if line_start and len(words) <= 4 and words[-1] in HEAD_NOUNS and not set(words) & {"NO", "NOT", "WITHOUT"}:
        return HEAD_NOUNS[words[-1]]
    for i, word in enumerate(words[1:], start=1):
        if word in ("FOR", "OF"):
            kind = ALIASES.get(" ".join(words[:i]))
            return kind if kind in SECTION_KINDS else None
    return None


EXAM_TITLE_RE: Final = re.compile(
    r"\b(?:chest|thorax|thoracic|lungs?|x-?ray|xr|cxr|radiographs?|radiography|films?"
    r"|views?|pa|ap|lat|lateral|frontal|portable|supine|upright|decubitus|exam"
    r"|examination|study|report)\b|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}",
    re.IGNORECASE,
)
"""A line that reads like an exam title or date line ("CHEST 2 VIEWS", "PA and LAT")."""

