"""Header aliases of chest X-ray reports and the one regex that finds them.

Every alias maps to a *kind*:

- one of the four section names (``indication``, ``comparison``, ``findings``,
  ``impression``): the text after the header is that section;
- ``OTHER``: a known section that is not one of the four (TECHNIQUE, EXAM, VIEWS,
  DATE, ...). Its text is excluded, but the header still ends the section before it;
- ``CONTINUATION``: RECOMMENDATION(S) / NOTIFICATION. Radiology datasets usually
  count recommendations as part of the impression; see ``rules`` for how they attach;
- ``ADDENDUM``: excluded like ``OTHER``, but lowers the confidence (an addendum may
  amend the impression);
- ``SIGNATURE``: attestation lines ("Radiologist:", "Dictated by ...", ...). Their text
  belongs to no section.

A header is an alias (or several joined by ``/``, ``&`` or ``and``, e.g.
"FINDINGS/IMPRESSION") that stands

1. at the start of a line, followed by ``:``, by a dash and a space, or by the end of
   the line ("FINDINGS" alone on its line);
2. after a sentence end (``.``, ``!``, ``?``, optionally a closing quote or bracket)
   and a space, followed by ``:`` or `` - `` ("...clear. IMPRESSION: Normal.");
3. anywhere after a space when written in capitals and followed by ``:``, for the
   distinctive aliases only ("INDICATION: Cough COMPARISON: None" on one line).

Signature phrases ("Electronically signed by", "I have personally reviewed", ...)
need no colon; they count at the start of a line or after a sentence end.

The regex also reports capitalised labels at the start of a line that are not known
aliases ("LUNGS:", "FOO BAR:"); ``rules`` ignores the anatomical ones listed in
``SUBHEADINGS`` and flags the rest.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, TypeAlias

OTHER: Final = "other"
CONTINUATION: Final = "continuation"
ADDENDUM: Final = "addendum"
SIGNATURE: Final = "signature"

# fmt: off
_FAMILIES: Final[dict[str, tuple[str, ...]]] = {
    "indication": (
        "INDICATION", "INDICATIONS", "CLINICAL INDICATION", "CLINICAL INDICATIONS",
        "HISTORY", "CLINICAL HISTORY", "PATIENT HISTORY", "MEDICAL HISTORY",
        "BRIEF HISTORY", "HX", "CLINICAL HX", "REASON FOR EXAM", "REASON FOR EXAMINATION",
        "REASON FOR STUDY", "REASON FOR REQUEST", "REASON FOR REFERRAL",
        "REASON FOR THE EXAM", "REASON FOR THE EXAMINATION", "REASON FOR THE STUDY",
        "REASON", "CLINICAL INFORMATION", "CLINICAL INFO", "CLINICAL DATA",
        "CLINICAL DETAILS", "CLINICAL NOTES", "CLINICAL QUESTION", "CLINICAL STATEMENT",
        "CLINICAL", "PRESENTING COMPLAINT", "CHIEF COMPLAINT", "SYMPTOMS",
    ),
    "comparison": (
        "COMPARISON", "COMPARISONS", "COMPARISON STUDY", "COMPARISON STUDIES",
        "COMPARISON EXAM", "COMPARISON EXAMS", "COMPARISON EXAMINATION",
        "COMPARISON EXAMINATIONS", "COMPARISON FILM", "COMPARISON FILMS",
        "COMPARISON IMAGES", "COMPARED WITH", "COMPARED TO", "PRIOR", "PRIORS",
        "PRIOR STUDY", "PRIOR STUDIES", "PRIOR EXAM", "PRIOR EXAMS", "PRIOR EXAMINATION",
        "PRIOR EXAMINATIONS", "PRIOR IMAGING", "PRIOR FILMS", "PRIOR RADIOGRAPHS",
        "PREVIOUS", "PREVIOUS STUDY", "PREVIOUS STUDIES", "PREVIOUS EXAM",
        "PREVIOUS EXAMS", "PREVIOUS IMAGING",
    ),
    "findings": (
        "FINDINGS", "FINDING", "REPORT", "DESCRIPTION", "OBSERVATIONS", "OBSERVATION",
        "RESULTS", "RESULT", "DISCUSSION", "DETAILS", "REPORT TEXT", "BODY",
        "RADIOGRAPHIC FINDINGS", "IMAGING FINDINGS", "CHEST FINDINGS",
    ),
    "impression": (
        "IMPRESSION", "IMPRESSIONS", "FINAL IMPRESSION", "CONCLUSION", "CONCLUSIONS",
        "OPINION", "SUMMARY", "ASSESSMENT", "DIAGNOSIS", "DIAGNOSES", "INTERPRETATION",
        "RADIOLOGIC IMPRESSION", "RADIOLOGICAL IMPRESSION", "FINAL DIAGNOSIS",
    ),
    OTHER: (
        "TECHNIQUE", "TECHNIQUES", "PROTOCOL", "EXAM", "EXAMINATION", "EXAMS",
        "PROCEDURE", "STUDY", "STUDIES", "TYPE OF EXAM", "TYPE OF EXAMINATION",
        "TYPE OF STUDY", "EXAM TYPE", "STUDY TYPE", "EXAM DESCRIPTION", "EXAM NAME",
        "PROCEDURE NAME", "VIEWS", "VIEW", "NUMBER OF VIEWS", "DATE", "TIME",
        "EXAM DATE", "STUDY DATE", "DATE OF EXAM", "DATE OF EXAMINATION", "DATE OF STUDY",
        "DATE OF SERVICE", "DATE OF PROCEDURE", "ACCESSION", "ACCESSION NUMBER",
        "ORDERING PHYSICIAN", "REFERRING PHYSICIAN", "ORDERED BY", "REFERRED BY",
        "CONTRAST", "DOSE", "RADIATION DOSE", "FLUOROSCOPY TIME", "FINAL REPORT",
        "WET READ", "PRELIMINARY REPORT",
    ),
    CONTINUATION: (
        "RECOMMENDATION", "RECOMMENDATIONS", "FOLLOW-UP RECOMMENDATION",
        "FOLLOW-UP RECOMMENDATIONS", "NOTIFICATION", "COMMUNICATION",
    ),
    ADDENDUM: ("ADDENDUM", "ADDENDA", "ADDENDUM REPORT", "AMENDED REPORT"),
    SIGNATURE: (
        "RADIOLOGIST", "ATTENDING RADIOLOGIST", "READING RADIOLOGIST", "ATTENDING",
        "RESIDENT", "DICTATED", "DICTATED BY", "TRANSCRIBED", "TRANSCRIBED BY",
        "SIGNED", "SIGNED BY", "ELECTRONICALLY SIGNED", "ELECTRONICALLY SIGNED BY",
        "WORKSTATION", "TRANSCRIPTIONIST", "VERIFIED BY", "APPROVED BY", "READ BY",
    ),
}

ALIASES: Final[dict[str, str]] = {
    alias: kind for kind, aliases in _FAMILIES.items() for alias in aliases
}
"""Upper-case alias (single spaces) -> kind."""

# Capitalised and followed by ':' anywhere after a space: only aliases that almost
# never end a phrase of running text ("PRIOR STUDY DATE: ..." must not split).
_STRONG: Final = (
    "INDICATION", "INDICATIONS", "CLINICAL INDICATION", "CLINICAL HISTORY",
    "REASON FOR EXAM", "REASON FOR EXAMINATION", "REASON FOR STUDY", "CLINICAL INFORMATION",
    "COMPARISON", "COMPARISONS", "FINDINGS", "IMPRESSION", "IMPRESSIONS", "CONCLUSION",
    "CONCLUSIONS", "TECHNIQUE", "RECOMMENDATION", "RECOMMENDATIONS", "ADDENDUM",
)

SUBHEADINGS: Final = frozenset({
    "LUNGS", "LUNG", "LUNG FIELDS", "HEART", "HEART SIZE", "CARDIAC", "CARDIOMEDIASTINAL",
    "CARDIOMEDIASTINAL SILHOUETTE", "MEDIASTINUM", "HILA", "PLEURA", "PLEURAL SPACE",
    "PLEURAL SPACES", "BONES", "OSSEOUS STRUCTURES", "SOFT TISSUES", "LINES", "TUBES",
    "LINES AND TUBES", "LINES/TUBES", "TUBES/LINES", "SUPPORT DEVICES", "DEVICES",
    "HARDWARE", "AIRWAYS", "AIRWAY", "ABDOMEN", "UPPER ABDOMEN", "DIAPHRAGM", "AORTA",
    "VASCULATURE", "CHEST WALL", "NECK", "OTHER", "NOTE", "CHEST", "THORAX",
})
"""Capitalised labels that subdivide a section (mostly findings) and are no header."""

_SIGNATURE_PHRASES: Final = (
    "electronically signed", "electronically reviewed and signed", "e-signed",
    "digitally signed", "signed by", "dictated by", "transcribed by", "reviewed by",
    "verified by", "approved by", "read by", "interpreted by", "reported by",
    "report signed", "report electronically signed",
    "this report was electronically signed", "this report has been electronically signed",
    "i have personally reviewed", "i personally reviewed", "i have reviewed the images",
    "i reviewed the images", "attending attestation", "radiologist attestation",
)

# fmt: on

_SEP: Final = r"(?:[ \t]*[/&][ \t]*|[ \t]+and[ \t]+)"
_DASH: Final = "[-\u2013\u2014]"


_Trie: TypeAlias = dict[str, "_Trie"]


def _alternation(phrases: tuple[str, ...] | list[str]) -> str:
    """A prefix-tree regex of the phrases: spaces match runs of blanks, '(S)' is allowed.

    Factoring common prefixes keeps the regex fast: it tries a handful of branches at
    each line start instead of every alias in turn.
    """
    trie: _Trie = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}
    return "(?:" + _render(trie) + r")(?:\(s\))?"


def _render(node: _Trie) -> str:
    branches = [
        (r"[ \t]+" if char == " " else re.escape(char)) + _render(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    body = "|".join(branches)
    if "" in node:
        return f"(?:{body})?"
    return body if len(branches) == 1 else f"(?:{body})"


_ALIAS: Final = _alternation(list(ALIASES))
_NAME: Final = f"{_ALIAS}(?:{_SEP}{_ALIAS})*"
_STRONG_NAME: Final = _alternation(_STRONG)

_LINE_TAIL: Final = rf"(?:[ \t]*:|[ \t]*{_DASH}(?=\s|\Z)|(?=[ \t]*(?:[\r\n]|\Z)))"

# Every branch starts by consuming the character before the header (a line break,
# sentence-end punctuation or a blank). Such a leading character class lets the regex
# engine skip ahead to candidates instead of trying every branch at every position;
# ``find_headers`` puts a line break before the text so that offset 0 is a line start.
HEADER_RE: Final = re.compile(
    r"[\r\n.!?\t ](?:"
    # 1. at the start of a line: an alias, a signature phrase or an unknown label
    rf"(?<=[\r\n])[ \t]*(?:(?P<line>{_NAME}){_LINE_TAIL}"
    rf"|(?P<sig>{_alternation(_SIGNATURE_PHRASES)})\b"
    r"|(?P<label>(?-i:[A-Z][A-Z /&()-]{1,40}?))[ \t]*:)"
    # 2. after a sentence end: an alias or a signature phrase
    rf"|(?<=[.!?])[\"')\]]?[ \t]+(?:(?P<inline>{_NAME})(?:[ \t]*:|[ \t]+{_DASH}[ \t])"
    rf"|(?P<isig>{_alternation(_SIGNATURE_PHRASES)})\b)"
    # 3. capitalised after a blank
    rf"|(?<=[\t ])(?P<upper>(?-i:{_STRONG_NAME}))[ \t]*:"
    ")",
    re.IGNORECASE,
)
"""Groups: ``line``/``inline``/``upper`` (an alias), ``sig``/``isig``, ``label``."""

Hit = tuple[str, str, int, int]
"""(group, matched name, start of the name, end of the header) in text offsets."""


def find_headers(text: str) -> list[Hit]:
    """All header-like matches of ``HEADER_RE`` in text order."""
    return [
        (
            match.lastgroup or "",
            match.group(match.lastgroup or 0),
            match.start(match.lastgroup or 0) - 1,
            match.end() - 1,
        )
        for match in HEADER_RE.finditer("\n" + text)
    ]


EXAM_TITLE_RE: Final = re.compile(
    r"\b(?:chest|thorax|thoracic|lungs?|x-?ray|xr|cxr|radiographs?|radiography|films?"
    r"|views?|pa|ap|lat|lateral|frontal|portable|supine|upright|decubitus|exam"
    r"|examination|study|report)\b|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}",
    re.IGNORECASE,
)
"""A line that reads like an exam title or date line ("CHEST 2 VIEWS", "PA and LAT")."""

_SPLIT_RE: Final = re.compile(_SEP, re.IGNORECASE)
_PLURAL_RE: Final = re.compile(r"\(s\)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def alias_kinds(name: str) -> tuple[str, ...]:
    """Kinds of the aliases in a matched header name, in order of appearance."""
    return tuple(ALIASES[" ".join(_PLURAL_RE.sub("", part).upper().split())] for part in _SPLIT_RE.split(name))
