"""Person names: context rules for radiology and clinical text, then a census-dictionary pass.

Context (high confidence): a title (Dr., Mr., Ms., ...), a clinician verb phrase ("discussed with",
"called to", "signed by", "dictated by", "notified", ...), a field label ("Patient:", "Name:",
"Attending:"), a relative ("wife Jane"), or a post-nominal (", MD", ", RN") marks the adjacent
capitalised words as a name; "LAST, FIRST" after a label is one name. A census first or last name
that is rare as an English word is a name anywhere ("Nicholson", "vasquez"); one that is also a common
word ("Gray", "Rose", "Stone") only in context. Clinical eponyms (Kerley, Hodgkin, Swan-Ganz, ...)
and radiology words are kept unless a title stands right before them ("Dr. Foley").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from service.deid.lexicon import STOPWORDS, NameLists, name_lists, zipf
from service.deid.spans import EntityType, Span

_TOKEN = re.compile(r"[A-Za-z](?:[A-Za-z'’\-]*[A-Za-z])?")

_TITLE = r"(?:Dr|DR|dr|Doctor|DOCTOR|Mr|MR|Mrs|MRS|Ms|MS|Miss|MISS|Mx|Prof|Professor|Nurse|NURSE)\.?"
_VERB = (
    r"(?i:discussed|discussion|spoke|spoken|talked|communicated|conveyed|reviewed|called|paged|"
    r"notified|informed|telephoned|phoned|reported|relayed|signed|dictated|transcribed|read|"
    r"verified|approved|ordered|requested|referred|seen|examined|interpreted|consulted|d/w|w/)"
    r"(?:[ \t]+(?i:directly|personally|verbally|by[ \t]+phone|by[ \t]+telephone|electronically))?"
    r"(?:[ \t]+(?i:with|to|by|for))?[ \t]*:?"
)
_LABEL = (
    r"(?i:patient(?:'s)?(?:[ \t]+name)?|pt(?:[ \t]+name)?|name|attending|radiologist|resident|fellow|"
    r"physician|provider|referring(?:[ \t]+(?:physician|provider|md|doctor))?|ordering(?:[ \t]+"
    r"(?:physician|provider|md|doctor))?|technologist|tech|signed|dictated|reader|cc|pcp|md|"
    r"emergency[ \t]+contact|contact|guardian|next[ \t]+of[ \t]+kin)[ \t]*[:#]"
)
_RELATIVE = (
    r"(?i:wife|husband|son|daughter|mother|father|mom|dad|sister|brother|niece|nephew|aunt|uncle|"
    r"grandson|granddaughter|grandmother|grandfather|friend|partner|fiance|fiancee|spouse|"
    r"girlfriend|boyfriend|sibling|cousin|neighbor|caregiver|hcp|proxy)(?:'s)?(?:[ \t]*,)?"
)
_ENDS_WITH_TITLE = re.compile(rf"\b{_TITLE}[ \t]+$")
_IS_LABEL = re.compile(rf"(?:^|\b){_LABEL}")
_TRIGGER = re.compile(
    rf"\b{_TITLE}[ \t]+|\b(?:{_VERB})[ \t]+(?:{_TITLE}[ \t]+)?|(?:^|\b){_LABEL}[ \t]*"
    rf"(?:{_TITLE}[ \t]+)?|\b{_RELATIVE}[ \t]+",
    re.MULTILINE,
)
_POSTNOMINAL = re.compile(
    r",?[ \t]*(?<![A-Za-z])(?:M\.D\.|MD|D\.O\.|DO|R\.N\.|RN|NP|PA-C|PhD|MBBS|FRCR|FACR|DABR|CRNA|RT\(R\))\b"
)
_LAST_FIRST = re.compile(
    r"\b(?P<last>[A-Z][A-Za-z'’\-]+),[ \t]*(?P<first>[A-Z][A-Za-z'’\-]+)(?:[ \t]+[A-Z]\b\.?)?"
)
_CREDENTIALS = frozenset("md do rn np phd mbbs frcr facr dabr crna dds pa-c lpn cna rt".split())
_SENTENCE_END = re.compile(r"[.!?:;\n]\s*$")
_COMMON_WORD = 4.5  # zipf above this: an ordinary word, not a name, even when capitalised


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()


class NameRecognizer:
    """Finds person names; `suspicious` tells the detector which texts deserve the NER model."""

    def __init__(self, lists: NameLists | None = None) -> None:
        self._lists = lists or name_lists()

    def analyze(self, text: str) -> tuple[list[Span], bool]:
        tokens = [_Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        starts = [t.start for t in tokens]
        found: list[tuple[int, int, float]] = []  # token index ranges [i, j) with score
        for m in _TRIGGER.finditer(text):
            i = bisect_left(starts, m.end())
            trigger = m.group()
            j = self._extend(text, tokens, i, after_title=bool(_ENDS_WITH_TITLE.search(trigger)),
                             after_label=bool(_IS_LABEL.match(trigger)))
            if j > i:
                found.append((i, j, 0.95))
        for m in _POSTNOMINAL.finditer(text):
            j = bisect_left(starts, m.start())
            i = j
            while i > 0 and j - i < 3 and self._name_like(tokens[i - 1], lenient=False) and \
                    _joined(text, tokens[i - 1], tokens[i].start if i < j else m.start()):
                i -= 1
            if i < j:
                found.append((i, j, 0.9))
        for m in _LAST_FIRST.finditer(text):
            last, first = m["last"].lower(), m["first"].lower()
            if self._is_name_word(last) and self._is_name_word(first) and (
                zipf(last) < _COMMON_WORD or zipf(first) < _COMMON_WORD
            ):
                i, j = bisect_left(starts, m.start()), bisect_left(starts, m.end())
                found.append((i, j, 0.85))
        suspicious = False
        for i, tok in enumerate(tokens):
            verdict = self._dictionary_verdict(text, tok, i)
            if verdict == "name":
                j = i + 1
                while i > 0 and self._adjacent_name(text, tokens[i - 1], tokens[i]):
                    i -= 1
                while j < len(tokens) and self._adjacent_name(text, tokens[j - 1], tokens[j], check_right=True):
                    j += 1
                found.append((i, j, 0.7))
            elif verdict == "unknown":
                suspicious = True
        spans = [Span(EntityType.PERSON, tokens[i].start, tokens[j - 1].end, score, "names") for i, j, score in found]
        return spans, suspicious

    # -- token tests -------------------------------------------------------------------------
    def _is_name_word(self, lower: str) -> bool:
        return lower in self._lists.last or lower in self._lists.first

    def _name_like(self, tok: _Token, lenient: bool, after_trigger: bool = False) -> bool:
        """Could this token be part of a name that context has announced?

        `lenient` (right after a title) admits lower-case words; `after_trigger` admits capitalised
        clinical words ("seen by Harrington", "Dr. Foley").
        """
        text = tok.text
        if len(text) == 1:
            return text.isupper()
        lower = tok.lower
        if lower in STOPWORDS or lower in _CREDENTIALS:
            return False
        capitalised = text[0].isupper()
        if not capitalised and not lenient:
            return False
        if lower in self._lists.keep and not (lenient or after_trigger):
            return False
        if self._is_name_word(lower):
            return capitalised or zipf(lower) < _COMMON_WORD
        return zipf(lower) < (_COMMON_WORD if capitalised else 3.0)

    def _extend(self, text: str, tokens: list[_Token], i: int, after_title: bool, after_label: bool = False) -> int:
        """Index past the run of name-like tokens starting at i (at most 4)."""
        j = i
        while j < len(tokens) and j - i < 4:
            tok = tokens[j]
            # "SMITH, JOHN": a comma only between a first word and a first name.
            comma_ok = j == i + 1 and (after_label or tok.lower in self._lists.first)
            if j > i and not _joined(text, tokens[j - 1], tok.start, allow_comma=comma_ok):
                break
            if not self._name_like(tok, lenient=after_title and j == i, after_trigger=True):
                break
            j += 1
        return j

    def _adjacent_name(self, text: str, left: _Token, right: _Token, check_right: bool = False) -> bool:
        """Does the neighbour (left, or right with check_right) extend a name found next to it?"""
        other = right if check_right else left
        if not _joined(text, left, right.start):
            return False
        if len(other.text) == 1:
            return other.text.isupper()
        return other.text[0].isupper() and self._is_name_word(other.lower) and \
            other.lower not in self._lists.keep and other.lower not in STOPWORDS

    def _dictionary_verdict(self, text: str, tok: _Token, index: int) -> str:
        lower = tok.lower
        if len(lower) < 3 or lower in STOPWORDS or lower in self._lists.keep:
            return "word"
        score = zipf(lower)
        is_name = self._is_name_word(lower)
        word = tok.text
        sentence_start = index == 0 or bool(_SENTENCE_END.search(text[max(0, tok.start - 3) : tok.start]))
        if word[0].isupper() and not word.isupper() and not sentence_start:
            if is_name and score < 4.0:
                return "name"
            return "unknown" if score < 2.0 else "word"
        if is_name and score < 3.0 and (len(word) > 3 or not word.isupper()):
            return "name"  # 3-letter capitals are more often abbreviations (MRN, ICU, ABD)
        return "word"


def _joined(text: str, left: _Token, right_start: int, allow_comma: bool = False) -> bool:
    """Are two tokens parts of one name: only spaces, an initial's period, or ', ' between them."""
    gap = text[left.end : right_start]
    if "." in gap:
        return len(left.text) == 1 and gap in (".", ". ")
    if allow_comma and gap in (", ", ","):
        return True
    return gap in (" ", "\t")
