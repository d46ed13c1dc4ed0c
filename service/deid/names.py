"""Person names: context rules for radiology and clinical text, then a census-dictionary pass.

Context (high confidence): a title (Dr., Mr., Ms., ...), a clinician verb phrase ("discussed with",
"called to", "signed by", "dictated by", "notified", ...), a field label ("Patient:", "Name:",
"Attending:"), a relative ("wife Jane"), or a post-nominal (", MD", ", RN") marks the adjacent
capitalised words as a name; "LAST, FIRST" is one name when both are census names or a label
announces it. A census first or last name that is rare as an English word is a name anywhere
("Nicholson", "vasquez"); one that is also a common word ("Gray", "Rose", "Stone") only in context.
Clinical eponyms (Kerley, Hodgkin, Swan-Ganz, ...) and radiology words are kept unless context
announces a person ("Dr. Foley", "seen by Harrington"). Names may hold letters of any script
("Núñez", "Zoë"), hyphens, apostrophes and particles ("van der Berg", "O'Brien"). A name found
takes what must belong to it: initials in any case ("j. o'brien"), a particle whose apostrophe was
lost ("o rourke"), and a census first name written like it that is not a common word.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from service.deid.lexicon import STOPWORDS, NameLists, name_lists, zipf
from service.deid.spans import EntityType, Span
from service.deid.usage import eponym, is_cased, used_as_noun

_LETTER = r"[^\W\d_]"
_TOKEN = re.compile(rf"{_LETTER}(?:(?:{_LETTER}|['’\-])*{_LETTER})?")

# At most 42 characters: a bounded repeat keeps every regex built on it linear in a long token
# ("Ab-Ab-Ab-...", a pasted blob), where an unbounded one would rescan the token from each of its word starts.
_NAME_WORD = rf"{_LETTER}(?:(?:{_LETTER}|['’\-]){{0,40}}{_LETTER})?"
_TITLE = r"(?i:dr|drs|dr's|doctor|mr|mrs|ms|miss|mx|prof|professor|nurse)(?:\.[ \t]*|[ \t]+)"  # "Dr.King" too
_VERB = (
    r"(?i:discussed|discussion|spoke|spoken|speak|talk|talked|communicated|conveyed|reviewed|called|paged|"
    r"notified|informed|telephoned|phoned|reported|relayed|signed|dictated|transcribed|read|"
    r"verified|approved|ordered|requested|referred|seen|examined|interpreted|consulted|d/w|w/)"
    r"(?:[ \t]+(?i:directly|personally|verbally|by[ \t]+phone|by[ \t]+telephone|electronically|[a-z]{3,}ly))?"
    r"(?:[ \t]+(?i:with|to|by|for))?[ \t]*:?"
)
_LABEL = (
    r"(?i:patient(?:'s)?(?:[ \t]+name)?|pt(?:[ \t]+name)?|name|attending|radiologist|resident|fellow|"
    r"physician|provider|referring(?:[ \t]+(?:physician|provider|md|doctor))?|ordering(?:[ \t]+"
    r"(?:physician|provider|md|doctor))?|technologist|tech|signed|dictated|reader|cc|pcp|md|"
    r"emergency[ \t]+contact|contact|guardian|next[ \t]+of[ \t]+kin)[ \t]*[:#]"
)
_RELATIVE_WORD = (
    r"(?i:wife|husband|son|daughter|mother|father|mom|dad|sister|brother|niece|nephew|aunt|uncle|"
    r"grandson|granddaughter|grandmother|grandfather|friend|partner|fiance|fiancee|spouse|"
    r"girlfriend|boyfriend|sibling|cousin|neighbor|caregiver|hcp|proxy|contact[ \t]+person)"
)
_RELATIVE = rf"{_RELATIVE_WORD}(?:'s)?(?:[ \t]*,)?"
# A role or "per" before a name ("NP Carol", "house staff mary souza", "per Douglass"): only a census name.
_ROLE = (
    r"(?i:(?:(?:referring|ordering|attending|covering|on-call|primary|treating|consulting|admitting|reading"
    r"|interpreting|requesting)[ \t]+)?(?:physician|provider|doctor|clinician|radiologist|surgeon|hospitalist"
    r"|nurse|practitioner|technologist)(?:[ \t]*,)?"
    r"|np|rn|rrt|crna|ho|house[ \t]+staff|house[ \t]+officer|intern|resident|fellow|attending|per"
    r"|nurse[ \t]+practitioner|physician[ \t]+assistant|pa|tech|therapist|pharmacist|chaplain|sonographer"
    r"|student|scribe|midwife|dietitian|coordinator|social[ \t]+worker|case[ \t]+manager|patient|pt)[ \t]+"
)
_ENDS_WITH_TITLE = re.compile(rf"\b{_TITLE}$")
_IS_ROLE = re.compile(rf"\b{_ROLE}$")
# A clinical role noun ("ordering provider Robert Brown", "referring physician, John Smith"): a strong
# cue, so any capitalised run with a census name counts, common names included.
_STRONG_ROLE = re.compile(
    r"(?i:physician|provider|doctor|clinician|radiologist|surgeon|hospitalist|practitioner|technologist)"
    r"(?:[ \t]*,)?[ \t]+$"
)
_IS_LABEL = re.compile(rf"(?:^|\b){_LABEL}")
_IS_RELATIVE = re.compile(rf"\b{_RELATIVE}")
_TRIGGER = re.compile(
    rf"\b{_TITLE}|\b(?:{_VERB})[ \t]+(?:{_TITLE})?|(?:^|\b){_LABEL}[ \t]*(?:{_TITLE})?"
    rf"|\b{_RELATIVE}(?:[ \t]+|(?<=,))|\b{_ROLE}",
    re.MULTILINE,
)
_POSTNOMINAL = re.compile(
    # It starts at a comma or at the first blank of a run, never inside a run of blanks (linear time).
    r"(?:,[ \t]*+|(?<![ \t])[ \t]*+)(?<![A-Za-z])"
    r"(?:M\.D\.|MD|D\.O\.|DO|R\.N\.|RN|NP|PA-C|PhD|MBBS|FRCR|FACR|DABR|CRNA|RT\(R\)"
    r"|CRT|RRT|LPN|CNA|MSW|LICSW)(?![A-Za-z])"
)
# Cues after a name: "E. WELSH AWARE", "irene snell, rn", "URSLA MORETTI (DAUGHTER)". Each regex starts
# with a literal or a small class, so it scans fast; the gap back to the name is checked in Python.
_AWARE = re.compile(r"[Aa](?i:ware)\b")
_LOWER_POSTNOMINAL = re.compile(r"(?:rn|rrt|np)\b")
_RELATIVE_AFTER = re.compile(
    rf"[(,\-][ \t]*(?:{_RELATIVE_WORD}|(?i:resident|attending|fellow|intern|ho|pa|np|rn|md|surgeon|nurse))\b"
)
_AWARE_GAP = re.compile(r"(?:[ \t]+(?i:is|was|made|also|now|are|were))?[ \t]+$")
_AND = re.compile(r"[ \t]+(?:and|AND|&)[ \t]+")
_SPEAKER = re.compile(
    r"(?:^|[.!?;|][ \t]*)(?P<name>[A-Z][a-z]+)[ \t]+(?:reports|reported|states|stated|says|said|called|phoned"
    r"|verbalizes|verbalized|wishes|requests|requested|asked|agrees|agreed|understands|visited|updated)\b",
    re.MULTILINE,
)
# "John Smith was notified": a name right before a notification verb.
# Found by the verb phrase, then up to three words back (a regex that starts with a word run would
# try every position of the text).
_NOTIFIED = re.compile(
    r"(?i:was|were|has[ \t]+been|had[ \t]+been)[ \t]+"
    r"(?i:notified|informed|called|paged|contacted|updated|told|telephoned|made[ \t]+aware)\b"
)
_WORDS_BEFORE = re.compile(r"(?:[^\W\d_][\w'’\-]*\.?[ \t]+){1,3}$")
_ROLE_WORDS = frozenset(
    "physician provider doctor clinician radiologist surgeon hospitalist nurse practitioner technologist "
    "resident fellow attending assistant team staff service department unit group clinic".split()
)
_FAMILY = re.compile(rf"\b(?P<name>{_NAME_WORD})[ \t]+(?i:family)\b")
_SHORT_LINE = re.compile(r"^[ \t]*(?P<line>[^\W\d_][^\n]{0,40}?)[ \t]*$", re.MULTILINE)
_LAST_FIRST = re.compile(
    rf"\b(?P<last>{_NAME_WORD}),[ \t]*(?P<first>{_NAME_WORD})(?:[ \t]+(?P<initial>{_LETTER})\b\.?)?"
)
_IN_PARENTHESES = re.compile(r"\)")
_CREDENTIAL_START = re.compile(r"(?:M\.D\.|D\.O\.|R\.N\.|Ph\.D|N\.P\.|P\.A\.)")
_SUBJECT_VERB = re.compile(
    r"[ \t]+(?:has|had|is|was|reports|reported|denies|denied|presents|presented|complains|underwent|tolerated"
    r"|states|stated|returns|returned|arrived|remains|developed)\b"
)
_SURNAME_INITIAL = re.compile(rf"\b(?P<last>[A-Z]{_NAME_WORD}),[ \t]?(?P<init>[A-Z])\.(?![A-Za-z])")
_INITIALS_SURNAME = re.compile(
    r"(?<![\w.])(?P<init>(?:[A-Z]\.[ \t]?){1,3})(?P<last>[A-Z](?:[a-z'’\-]+[a-z]|[A-Z'’\-]+[A-Z]))\b"
)
_CREDENTIALS = frozenset("md do rn np phd mbbs frcr facr dabr crna dds pa-c lpn cna rt crt rrt msw licsw".split())
_PARTICLES = frozenset("van von der den de del della di da la le du st bin al el ter ten dos das".split())
_SENTENCE_END = re.compile(r"[.!?:;\n]\s*$")
_COMMON_WORD = 4.5  # zipf above this: an ordinary word, not a name, even when capitalised
_RARE_WORD = 3.5  # zipf below this: rare enough to be a name when context announces one
@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()


@lru_cache(maxsize=100_000)
def _ascii_fold(word: str) -> str:
    """'núñez' → 'nunez', "o'brien" → 'obrien': census lists are ASCII letters only."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch not in "'’")


@lru_cache(maxsize=100_000)
def _word_zipf(lower: str) -> float:
    """Frequency of the rarest part of a hyphenated or apostrophised word ("o'brien-jones")."""
    parts = [p for p in re.split(r"['’\-]", lower) if len(p) > 1]
    return min((zipf(p) for p in parts), default=zipf(lower))


class NameRecognizer:
    """Finds person names, and the stretches of text where only a statistical model could tell."""

    def __init__(self, lists: NameLists | None = None) -> None:
        self._lists = lists or name_lists()

    def analyze(self, text: str, cased: bool | None = None) -> tuple[list[Span], list[tuple[int, int]]]:
        """(name spans, doubtful (start, end) lines holding capitalised words no list knows)."""
        tokens = _tokens(text)
        starts = [t.start for t in tokens]
        cased = is_cased(text) if cased is None else cased
        found: list[tuple[int, int, float]] = []  # token index ranges [i, j) with score
        for m in _triggers(text):
            trigger = m.group()
            after_label = bool(_IS_LABEL.match(trigger))
            if _ENDS_WITH_TITLE.search(trigger):
                lower_case = "title_cased" if cased else "title"  # "Mx transitional" is no name
            elif after_label or cased:
                lower_case = "never"  # in sentence-case text a name after a verb is capitalised
            else:
                lower_case = "rare"  # "talked with helen", "husband milovan"
            i = bisect_left(starts, m.end())
            if cased and lower_case == "title_cased" and trigger.strip().isupper() and "." not in trigger \
                    and i < len(tokens) and tokens[i].text.isupper() and not self._is_name_word(tokens[i].lower):
                continue  # "MR CARDIAC MRPH" is a modality and an exam title, not Mr. Cardiac
            role = bool(_IS_ROLE.search(trigger) or _IS_RELATIVE.search(trigger))
            j = self._extend(text, tokens, i, lower_case, after_label=after_label, role=role and not cased)
            strong_role = bool(_STRONG_ROLE.search(trigger))
            if strong_role and not (all(t.capitalised for t in tokens[i:j]) and self._census_run(tokens[i:j])) \
                    and not self._role_name(tokens[i:j], cased):
                continue
            if j > i and not strong_role and _IS_ROLE.search(trigger):  # "NP Carol", "per e. welsh": plain names
                k = i
                while k < j and self._cued_name(tokens[k], _initial_before(text, tokens, k)):
                    k += 1
                if (k < j or not self._census_run(tokens[i:j])) and not self._role_name(tokens[i:j], cased):
                    continue
            if j > i:
                found.append((i, j, 0.95))
                # "Dr. Lee and Okafor"
                while lower_case.startswith("title") and (k := self._and_name(text, tokens, j)) > j:
                    found.append((j + 1, k, 0.85))
                    j = k
        for m in _POSTNOMINAL.finditer(text):
            j = bisect_left(starts, m.start())
            i = _run_before(text, tokens, j, m.start(), 4,
                            lambda k: self._name_like(tokens[k], "never", after_trigger=True))
            if i < j and any(len(t.text) > 1 for t in tokens[i:j]):  # "4 L NP" is oxygen, not a name
                found.append((i, j, 0.9))
        for cue in _cues(text):
            j = bisect_left(starts, cue)
            i = _run_before(text, tokens, j, cue, 3,
                            lambda k: self._cued_name(tokens[k], _initial_before(text, tokens, k)))
            if i < j and self._census_run(tokens[i:j]):
                found.append((i, j, 0.85))
        for m in _SPEAKER.finditer(text):  # "Emily reports that ...": a first name at a sentence start
            word = m["name"].lower()
            if self._is_first_name(word) and word not in self._lists.keep and word not in STOPWORDS \
                    and _word_zipf(word) < _COMMON_WORD:
                k = bisect_left(starts, m.start("name"))
                found.append((k, k + 1, 0.8))
        for m in _NOTIFIED.finditer(text):  # "John Smith was notified"
            before = _WORDS_BEFORE.search(text, max(0, m.start() - 90), m.start())
            if before is None:
                continue
            i, j = bisect_left(starts, before.start()), bisect_left(starts, before.end())
            while i < j and not self._name_like(tokens[i], "never"):
                i += 1  # "The patient" / "Findings" are not names; the name is the capitalised tail
            if i < j and all(self._name_like(t, "never") for t in tokens[i:j]):
                found.append((i, j, 0.85))
        for m in _FAMILY.finditer(text):  # "KEEP ROMERO FAMILY AWARE"
            word = m["name"].lower()
            if m["name"][0].isupper() and word in self._lists.last and word not in self._lists.keep \
                    and word not in STOPWORDS and _word_zipf(word) < _COMMON_WORD:
                found.append((bisect_left(starts, m.start()), bisect_left(starts, m.end("name")), 0.8))
        for m in _SHORT_LINE.finditer(text):  # a signature line: "SUSAN", "Helen Smith"
            i, j = bisect_left(starts, m.start("line")), bisect_left(starts, m.end("line"))
            if 1 <= j - i <= 3 and self._signature(text, tokens[i:j], m.start("line"), m.end("line")):
                found.append((i, j, 0.8))
        for m in _LAST_FIRST.finditer(text):
            if self._last_first(m):
                found.append((bisect_left(starts, m.start()), bisect_left(starts, m.end()), 0.85))
        for start, end, score in self._initial_forms(text):
            found.append((bisect_left(starts, start), bisect_left(starts, end), score))
        doubtful: list[tuple[int, int]] = []
        for i, tok in enumerate(tokens):
            verdict = self._dictionary_verdict(text, tokens, i, cased)
            if verdict == "name":
                j = i + 1
                while i > 0 and self._adjacent_name(text, tokens[i - 1], tokens[i]):
                    i -= 1
                while j < len(tokens) and not _CREDENTIAL_START.match(text, tokens[j].start) \
                        and self._adjacent_name(text, tokens[j - 1], tokens[j], check_right=True):
                    j += 1
                if not eponym(text, tokens[i].start, tokens[j - 1].end) and not used_as_noun(text, tokens[i].start):
                    found.append((i, j, 0.7))
            elif (verdict == "unknown" or cased and self._maybe_full_name(text, tokens, i)) \
                    and (not doubtful or tok.start >= doubtful[-1][1]):
                start, end = _line_around(text, tok.start)
                if doubtful and start < doubtful[-1][1]:  # overlapping windows: the NER reads the part once
                    start = doubtful[-1][1]
                    if start < end and text[start - 1] not in " \t\r\n":  # from a word start, as a window
                        start = text.find(" ", start, tok.start) + 1 or start
                doubtful.append((start, end))
        if cased:
            found += self._full_names(text, tokens)
        found += self._closing_signature(text, tokens)
        found = [(self._widen(text, tokens, i, j), j, score) for i, j, score in found]
        spans = [Span(EntityType.PERSON, tokens[i].start, tokens[j - 1].end, score, "names") for i, j, score in found]
        return spans, doubtful

    # -- token tests -------------------------------------------------------------------------
    def _is_name_word(self, lower: str) -> bool:
        lists = self._lists
        if lower in lists.last or lower in lists.first:
            return True
        folded = _ascii_fold(lower)
        if folded != lower and (folded in lists.last or folded in lists.first):
            return True
        parts = [_ascii_fold(p) for p in lower.split("-") if p]
        return len(parts) > 1 and all(p in lists.last or p in lists.first for p in parts)

    def _is_first_name(self, lower: str) -> bool:
        return lower in self._lists.first or _ascii_fold(lower) in self._lists.first

    def _signature(self, text: str, line: list[_Token], start: int, end: int) -> bool:
        """A line that holds only a name: capitalised census names, at least one a first name."""
        if sum(t.end - t.start for t in line) + len(line) - 1 < end - start - 2:
            return False  # other characters than the words and single spaces
        if not all(t.capitalised and self._is_name_word(t.lower) for t in line):
            return False
        lowers = [t.lower for t in line]
        if any(w in self._lists.keep or w in STOPWORDS or w in _CREDENTIALS for w in lowers):
            return False
        return any(self._is_first_name(w) for w in lowers) and all(_word_zipf(w) < 5.0 for w in lowers)

    def _name_like(self, tok: _Token, lower_case: str, after_trigger: bool = False) -> bool:
        """Could this token be part of a name that context has announced?

        `lower_case` says which lower-case words may be names: "title" (after Dr./Mr.: any but
        common words), "rare" (after a verb or a relative: names and rare words), "never".
        `after_trigger` admits capitalised clinical words ("seen by Harrington", "Dr. Foley") and
        first names that are also function words ("Will", "May").
        """
        if lower_case == "title_cased":
            if not tok.capitalised and not self._is_name_word(tok.lower):
                return False
            lower_case = "title"
        lenient = lower_case == "title"
        text = tok.text
        if len(text) == 1:
            return text.isupper()
        lower = tok.lower
        if lower in _CREDENTIALS or lower in _ROLE_WORDS:
            return False
        if lower in STOPWORDS and not (after_trigger and tok.capitalised and len(lower) > 2
                                       and self._is_first_name(lower)):
            return False
        if not tok.capitalised:
            if lower_case == "never":
                return False
            if lower_case == "rare":
                return lower not in self._lists.keep and (
                    (self._is_name_word(lower) and _word_zipf(lower) < _COMMON_WORD) or _word_zipf(lower) < 3.0
                )
        if lower in self._lists.keep and not (lenient or after_trigger):
            return False
        if self._is_name_word(lower):  # after a title any census name ("dr small")
            return tok.capitalised or lenient or _word_zipf(lower) < _COMMON_WORD
        return _word_zipf(lower) < (_COMMON_WORD if lenient else _RARE_WORD if tok.capitalised else 3.0)

    def _census_run(self, run: list[_Token]) -> bool:
        """At least one word of the run is a census name that is no keep-list word."""
        return any(len(t.text) > 2 and self._is_name_word(t.lower) and t.lower not in self._lists.keep
                   for t in run)

    def _cued_name(self, tok: _Token, initial_before: bool = False) -> bool:
        """A word next to a cue ("aware", ", rn", "per", "NP"): an initial, a census first name, a rare
        word, or (after an initial: "E. WELSH") a census surname, none of them common words."""
        if len(tok.text) == 1:
            return tok.text.isalpha()
        lower = tok.lower
        if lower in STOPWORDS or lower in _CREDENTIALS or lower in self._lists.keep or len(lower) < 3:
            return False  # two letters: an abbreviation ("HO aware")
        score = _word_zipf(lower)
        if score < _RARE_WORD:
            return True
        if initial_before and self._is_name_word(lower):  # "Z. MILLER AWARE"
            return score < 5.0
        if self._is_first_name(lower):  # "mary o'hara np aware"; not "grace" (a word)
            return score < _COMMON_WORD or lower not in self._lists.english
        return False

    def _and_name(self, text: str, tokens: list[_Token], j: int) -> int:
        """End index of a name joined by "and" to the name that ends before token j, or j."""
        if j >= len(tokens) - 1 or tokens[j].lower not in ("and", "&"):
            return j
        m = _AND.match(text, tokens[j - 1].end)
        if m is None or m.end() != tokens[j + 1].start:
            return j
        tok, lower = tokens[j + 1], tokens[j + 1].lower
        if not tok.capitalised or len(lower) < 3 or lower in self._lists.keep or lower in STOPWORDS:
            return j
        if self._is_name_word(lower) and _word_zipf(lower) < _COMMON_WORD or (
            not tok.text.isupper() and _word_zipf(lower) < 3.0
        ):
            return j + 2
        return j

    def _role_name(self, run: list[_Token], cased: bool) -> bool:
        """After a role noun ("nurse Mary Long", "charge nurse Bob Stone", "Resident Kimberly Case"): a
        first name, then census names or initials, common words included; capitalised in cased text."""
        if not run or len(run[0].text) < 2:
            return False
        if not self._is_first_name(run[0].lower) and not (_word_zipf(run[0].lower) < 3.0 and len(run) > 1):
            return False
        if run[0].lower in self._lists.clinical:
            return False
        return all((t.capitalised or not cased) and (len(t.text) == 1 or self._is_name_word(t.lower)
                                                      or _word_zipf(t.lower) < 3.0) for t in run)

    def _last_first(self, m: re.Match[str]) -> bool:
        last, first = m["last"], m["first"]
        if not (last[0].isupper() and first[0].isupper()) or (m["initial"] and not m["initial"].isupper()):
            return False
        lower_last, lower_first = last.lower(), first.lower()
        lists = self._lists
        same_case = last.isupper() == first.isupper()  # "SMITH, JOHN", "Long, Mary"; not "Chest, PA"
        if lower_first in lists.keep or lower_first in lists.clinical or lower_last in lists.keep and not same_case:
            return False
        # "SMITH, JOHN", "Long, Mary", "STREET,JENNIFER": a surname and a first name, not both plain words.
        return self._is_name_word(lower_last) and self._is_first_name(lower_first) and (
            _word_zipf(lower_last) < _COMMON_WORD or _word_zipf(lower_first) < _COMMON_WORD
            or not (lower_last in lists.english and lower_first in lists.english)
        )

    def _initial_forms(self, text: str) -> list[tuple[int, int, float]]:
        """(start, end, score) of "BROWN, F." and "J.E. SMITH" / "K. Chambers": a census surname with
        initials. A surname that is also a word needs two initials or a credential after it."""
        lists = self._lists
        out = []
        for m in _SURNAME_INITIAL.finditer(text):  # the shape says "name" whatever the word
            lower = m["last"].lower()
            if self._is_name_word(lower) or _word_zipf(lower) < 3.0 and lower not in lists.clinical:
                out.append((m.start(), m.end("init"), 0.85))
        for m in _INITIALS_SURNAME.finditer(text):
            lower = m["last"].lower()
            rare = _word_zipf(lower) < 3.0 and len(lower) > 3
            if not (self._is_name_word(lower) or rare) or lower in lists.keep or lower in lists.clinical \
                    or lower in _ROLE_WORDS or lower in _CREDENTIALS or _POSTNOMINAL.fullmatch(m["init"].strip()):
                continue
            two = m["init"].count(".") > 1
            laterality = m["init"].strip() in ("L.", "R.")  # "R. HAND" is the right hand
            if lower in lists.english and not two and (_word_zipf(lower) >= 4.8 or laterality) \
                    and _POSTNOMINAL.match(text, m.end()) is None:
                continue
            out.append((m.start(), m.end(), 0.85))
        return out

    def _extend(self, text: str, tokens: list[_Token], i: int, lower_case: str, after_label: bool = False,
                role: bool = False) -> int:
        """Index past the run of name-like tokens starting at i (at most 5, particles included).
        `role`: after a role noun in text without case, a census first name of any frequency starts
        the run ("house staff mary souza")."""
        j = i
        words = 0  # name words so far, particles not counted
        while j < len(tokens) and j - i < 6:
            tok = tokens[j]
            # "SMITH, JOHN" / "St. Clair, Regina": one comma, after the surname, before a first name
            # (or any capitalised word after a label, or in all capitals).
            comma_ok = words == 1 and tok.capitalised and tokens[j - 1].capitalised and (
                after_label or self._is_first_name(tok.lower) or _word_zipf(tok.lower) < 3.0
                or (tok.text.isupper() and tokens[j - 1].text.isupper())
            )
            if j > i and not _joined(text, tokens[j - 1], tok.start, allow_comma=comma_ok,
                                     after_particle=tokens[j - 1].lower in _PARTICLES):
                break
            if tok.lower in _PARTICLES and j + 1 < len(tokens) \
                    and (tokens[j + 1].capitalised or tokens[j + 1].lower in _PARTICLES) \
                    and _joined(text, tok, tokens[j + 1].start, after_particle=True):
                j += 1  # "van der Berg", "St. Clair": the particles join the surname that follows
                continue
            if j > i and _CREDENTIAL_START.match(text, tok.start):
                break  # "Long,Frank N. M.D.": the credential ends the name
            rule = lower_case if j == i or lower_case == "never" else "rare"  # "dr mary souza"
            first_name = role and j == i and self._is_first_name(tok.lower) and tok.lower not in self._lists.keep \
                and tok.lower not in STOPWORDS
            if not first_name and not self._name_like(tok, rule, after_trigger=True):
                break
            j += 1
            words += 1
        while j > i and tokens[j - 1].lower in _PARTICLES:
            j -= 1
        return j

    def _widen(self, text: str, tokens: list[_Token], i: int, j: int) -> int:
        """Start of a found name widened over what must belong to it: initials with their period in
        any case ("j. o'brien", "d. kowalczyk"), a lost apostrophe's particle ("o rourke", "d angelo"), and a
        census first name written like the surname, not a common word ("LUCILLE QUINTAVALLE", not "Will Smith")."""
        if i >= j:
            return i
        while i > 0 and _joined(text, tokens[i - 1], tokens[i].start):
            prev, name = tokens[i - 1], tokens[i]
            lower = prev.lower
            if len(prev.text) == 1:
                initial = text.startswith(".", prev.end) or lower in "od" and text[prev.end] == " "
                if not initial or prev.start and text[prev.start - 1].isalnum():
                    break
            elif not (self._is_first_name(lower) and lower not in STOPWORDS and lower not in self._lists.keep
                      and lower not in self._lists.clinical and _word_zipf(lower) < _COMMON_WORD
                      and lower not in _ROLE_WORDS and lower not in _CREDENTIALS and len(lower) > 2
                      and prev.text.isupper() == name.text.isupper() and prev.capitalised == name.capitalised):
                break
            i -= 1
        return i

    def _adjacent_name(self, text: str, left: _Token, right: _Token, check_right: bool = False) -> bool:
        """Does the neighbour (left, or right with check_right) extend a name found next to it?"""
        other = right if check_right else left
        if not _joined(text, left, right.start):
            return False
        if len(other.text) == 1:
            if other.text in "AI" and not check_right and (left.start == 0 or _SENTENCE_END.search(
                    text[max(0, left.start - 3) : left.start])):
                return False  # "A Pfannenstiel incision": the article at a sentence start
            return other.text.isupper()
        if other.lower in _PARTICLES and not check_right:
            return True
        if not other.capitalised or other.lower in STOPWORDS or self._lists.vocabulary(other.lower):
            return False
        return self._is_name_word(other.lower) or (check_right and _word_zipf(other.lower) < 3.0)

    def _closing_signature(self, text: str, tokens: list[_Token]) -> list[tuple[int, int, float]]:
        """The note's last words after its last sentence ("... NOT 1400U/HR. SUSAN"): a sign-off when
        they are one to three census names, one of them a first name, none a plain word."""
        for n in (3, 2, 1):
            if len(tokens) < n + 1:
                continue
            run = tokens[-n:]
            if text[run[-1].end :].strip(" \t\n\r.|") or not _SENTENCE_END.search(text[: run[0].start]):
                continue
            if not all(_joined(text, a, b.start) for a, b in zip(run, run[1:], strict=False)):
                continue
            lowers = [t.lower for t in run]
            if all(self._is_name_word(w) and not self._lists.vocabulary(w) and w not in STOPWORDS for w in lowers) \
                    and any(self._is_first_name(w) for w in lowers) and all(t.capitalised for t in run):
                return [(len(tokens) - n, len(tokens), 0.8)]
        return []

    def _maybe_full_name(self, text: str, tokens: list[_Token], i: int) -> bool:
        """A Title-case first name before another Title-case word ("Robin Street has ..."): only the
        statistical model can tell a name from words there."""
        tok = tokens[i]
        if i + 1 >= len(tokens) or not tok.capitalised or tok.text.isupper() or len(tok.text) < 3:
            return False
        nxt = tokens[i + 1]
        return nxt.capitalised and not nxt.text.isupper() and _joined(text, tok, nxt.start) \
            and self._is_first_name(tok.lower) and tok.lower not in self._lists.clinical

    def _full_names(self, text: str, tokens: list[_Token]) -> list[tuple[int, int, float]]:
        """A full name with no cue in sentence-case text ("Zebulon Quagmire has clear lungs"): a
        Title-case census first name, then a Title-case surname (a census name or a rare word), not both
        plain English words, no clinical or kept word, no eponym."""
        lists = self._lists
        out = []
        for i in range(len(tokens) - 1):
            a, b = tokens[i], tokens[i + 1]
            if not (a.capitalised and b.capitalised) or a.text.isupper() or b.text.isupper() \
                    or len(a.text) < 3 or len(b.text) < 3 or not _joined(text, a, b.start):
                continue
            la, lb = a.lower, b.lower
            # Plain or kept words ("Grace Hale", "Hope Waters", "Will Rice") only in a name's position:
            # alone in parentheses, or as the subject of a clinical verb.
            placed = bool(_IN_PARENTHESES.match(text, b.end) and text[a.start - 1 : a.start] == "(") \
                or bool(_SUBJECT_VERB.match(text, b.end))
            first = self._is_first_name(la) or placed and _word_zipf(la) < 3.0 and not lists.vocabulary(la)
            if not first or la in STOPWORDS and not placed or lb in STOPWORDS:
                continue
            if la in lists.clinical or lb in lists.clinical or not (self._is_name_word(lb) or _word_zipf(lb) < 3.0):
                continue
            plain = la in lists.english and lb in lists.english or la in lists.keep or lb in lists.keep or \
                _word_zipf(la) >= _COMMON_WORD and _word_zipf(lb) >= _COMMON_WORD
            if plain and not placed:
                continue
            if not eponym(text, a.start, b.end) and not used_as_noun(text, a.start):
                out.append((i, i + 2, 0.75))
        return out

    def _dictionary_verdict(self, text: str, tokens: list[_Token], index: int, cased: bool = False) -> str:
        tok = tokens[index]
        lower = tok.lower
        if len(lower) < 3 or lower in STOPWORDS or self._lists.vocabulary(lower) or not _name_shaped(tok.text):
            return "word"
        if cased and (not tok.capitalised or tok.text.isupper() and len(tok.text) <= 5):
            return "word"  # in sentence-case text a name is capitalised, and "TIMI", "TED" are abbreviations
        score = _word_zipf(lower)
        is_name = self._is_name_word(lower)
        word = tok.text
        sentence_start = index == 0 or bool(_SENTENCE_END.search(text[max(0, tok.start - 3) : tok.start]))
        if tok.capitalised and not word.isupper() and not sentence_start:
            if is_name and (score < 4.0 or score < 4.6 and self._is_first_name(lower)):
                return "name"
            if score < 2.0 or cased and score < 3.0 and _capitalised_neighbour(text, tokens, index):
                return "unknown"
            return "word"
        if cased and tok.capitalised and not word.isupper() and not is_name and score < 3.0 \
                and _capitalised_neighbour(text, tokens, index):
            return "unknown"  # "Zebulon Quagmire has ...": the statistical model decides
        if is_name and score < 3.0 and len(word) > 3:
            return "name"  # 3-letter words are more often abbreviations (MRN, ICU, ABD, vea)
        return "word"


_PARTS = re.compile(r"['’\-]")


def _name_shaped(word: str) -> bool:
    """Written as a name is: each part lower case, capitals or capitalised, or with one inner capital
    after a capitalised start ("McDonald", "DeShawn", "JoAnn"). Mixed case beyond that is a code, a
    product or a pasted blob ("QmFzZTY", "IGJsb", "eGFR"): the NER need not read it."""
    for part in _PARTS.split(word):
        if not part or part.islower() or part.isupper() or part.istitle():
            continue
        caps = [i for i, ch in enumerate(part) if ch.isupper()]
        if not (len(caps) == 2 and caps[0] == 0 and 1 < caps[1] < len(part) - 1
                and part[1 : caps[1]].islower() and part[caps[1] + 1 :].islower()):
            return False
    return True


def _tokens(text: str) -> list[_Token]:
    """Word tokens; a hyphen used as a dash is split ("son Zeb-who states", "AWARE-WILL START",
    "CARAFATE-W. QUAGMIRE"): the part after it is a common word in lower case or capitals, or an
    initial with its period. Hyphenated names ("Smith-Jones", "Mary-Kate") stay one token."""
    tokens = []
    for m in _TOKEN.finditer(text):
        word, start = m.group(), m.start()
        if "-" in word:
            head, _, tail = word.rpartition("-")
            cut = start + len(head)
            initial = len(tail) == 1 and tail.isupper() and text.startswith(".", m.end())
            if initial or (tail.islower() or tail.isupper()) and zipf(tail.lower()) >= 5.0:
                tokens.append(_Token(start, cut, head))
                tokens.append(_Token(cut + 1, m.end(), tail))
                continue
        tokens.append(_Token(start, m.end(), word))
    return tokens


def _capitalised_neighbour(text: str, tokens: list[_Token], i: int) -> bool:
    """Is token i joined to a capitalised token on either side (a possible multi-word name)?"""
    left = i > 0 and tokens[i - 1].capitalised and _joined(text, tokens[i - 1], tokens[i].start)
    return left or i + 1 < len(tokens) and tokens[i + 1].capitalised and _joined(text, tokens[i], tokens[i + 1].start)


_WORD_START = re.compile(r"\b[^\W\d_]")


def _triggers(text: str) -> list[re.Match[str]]:
    """_TRIGGER's matches, tried at word starts only (every trigger starts with a word): the same
    matches as `finditer`, several times faster on long notes."""
    matches: list[re.Match[str]] = []
    end = 0
    for w in _WORD_START.finditer(text):
        if w.start() < end:
            continue
        m = _TRIGGER.match(text, w.start())
        if m is not None and m.end() > m.start():
            matches.append(m)
            end = m.end()
    return matches


def _joined(text: str, left: _Token, right_start: int, allow_comma: bool = False,
            after_particle: bool = False) -> bool:
    """Are two tokens parts of one name: a space, an initial's (or "St.") period, or ', ' between them."""
    gap = text[left.end : right_start]
    if "." in gap:
        return (len(left.text) == 1 or after_particle) and gap in (".", ". ")
    if allow_comma and gap in (", ", ","):
        return True
    return gap in (" ", "\t")


def _run_before(text: str, tokens: list[_Token], j: int, anchor: int, limit: int,
                accept: Callable[[int], bool]) -> int:
    """Start index of the run of accepted tokens (at most `limit`) that ends right before token j,
    the last of them touching `anchor` (a cue's start) and the others joined as one name."""
    i = j
    while i > 0 and j - i < limit and accept(i - 1) and (
        _joined(text, tokens[i - 1], tokens[i].start) if i < j else tokens[i - 1].end == anchor
    ):
        i -= 1
    return i


def _cues(text: str) -> list[int]:
    """Where a name must end for a cue after it: before " aware", ", rn", " (daughter)"."""
    ends = []
    for m in _AWARE.finditer(text):
        gap = _AWARE_GAP.search(text, max(0, m.start() - 8), m.start())
        if gap is not None:
            ends.append(gap.start())
    for m in _LOWER_POSTNOMINAL.finditer(text):
        if m.start() and not text[m.start() - 1].isalpha():
            ends.append(len(text[: m.start()].rstrip(" \t,")))
    for m in _RELATIVE_AFTER.finditer(text):
        ends.append(len(text[: m.start()].rstrip(" \t")))
    return ends


def _initial_before(text: str, tokens: list[_Token], k: int) -> bool:
    """Is token k preceded by an initial ("E. Welsh", "e welsh")?"""
    return k > 0 and len(tokens[k - 1].text) == 1 and _joined(text, tokens[k - 1], tokens[k].start)


_CLAUSE_END = re.compile(r"[.!?;\n]\s|\n|,\s(?=[A-Z])")
_WINDOW = 160  # characters each side at most: a sentence is context enough for the NER


def _line_around(text: str, position: int) -> tuple[int, int]:
    """The sentence (or line) around `position`, at most _WINDOW characters each side: what the NER
    reads for a doubtful word. Long flattened notes have no line breaks, so a line may be a note."""
    lo = max(0, position - _WINDOW)
    ends = [m.end() for m in _CLAUSE_END.finditer(text, lo, position)]
    start = ends[-1] if ends else lo
    m = _CLAUSE_END.search(text, position, min(len(text), position + _WINDOW))
    end = m.start() + 1 if m else min(len(text), position + _WINDOW)
    if not ends and lo:  # a cut window starts at a word boundary
        start = text.find(" ", lo, position) + 1 or lo
    return start, end
