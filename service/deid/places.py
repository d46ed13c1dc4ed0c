"""US city names from a gazetteer (`data/us_cities.txt`, built by `scripts/build_city_list.py`).

City names are also English words ("Normal", "Mobile", "Clear Lake") and clinical words, so a
name counts only where its shape or its context says "place":

- a multi-word city ("Terre Haute", "SAN DIEGO", "St. Louis") in Title case or capitals;
- a single word in Title case, not at the start of a sentence, that is rare in English
  ("Catonsville") or, if more common ("Baltimore"), follows a locative context ("lives in",
  "from", "near", "at", "transferred to");
- after such a context also a rare single word in capitals ("FROM TOWSON") and a rare
  lower-case one ("lives in catonsville").

A city takes a generic place word after it in the same case ("MILFORD MILL", "Rock Springs").
Keep-list and clinical words (eponyms, radiology words) are cities only after a residence cue ("LIVES
IN HAMPTON"; "Hampton hump" stays). States are not PHI and are not in
the list. Loading is one text file into a frozenset (a few milliseconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from service.deid.lexicon import STOPWORDS, name_lists, zipf
from service.deid.spans import EntityType, Span
from service.deid.usage import eponym, used_as_noun

# Two cheap scans (a regex that starts with a class is fast; one with a look-behind or \\b is not):
# capitalised ASCII words, and lower-case words after a word ending like a locative ("in", "from").
_CAPITALISED = re.compile(r"[A-Z][a-zA-Z]*")
_LOWER_AFTER = re.compile(r"[nmrto@][ \t]+([a-z]{3,})")
_NEXT_WORD = re.compile(r"(?:[ \t'’\-]|\.[ \t]?)([^\W\d_]+)")  # "Winston-Salem", "O'Fallon", "St. Louis"
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}  # "St. Louis", "Ft Worth"
_PARTICLES = frozenset("of the d de la le du des del on upon in".split())  # lower case inside a name
_LOCATIVE = frozenset("in from near at @".split())  # "lives in", "transferred from", "at"
_MOVED = frozenset(
    """transferred transfer trans xfer xferred moved move moving sent admitted returned return returning
    relocated flown flew driven drive drove traveled travelled traveling travelling visiting going go goes went
    back headed heading""".split()
)  # ... to: "transferred to"
_INSTITUTION_NEXT = re.compile(
    r"[ \t]++(?i:rehab|rehabilitation|va|v\.a\.|hospital|medical|memorial|general|clinic|campus|nursing)\b"
)
_SENTENCE_END = frozenset(".!?:;|\n-*•>([\"")
_RARE = 3.0  # zipf below this: rare enough in English to be a city by itself
_COMMON = 4.5  # zipf below this: a city after a locative context ("from Baltimore")


# Generic last words of place names ("Milford Mill", "Glen Burnie Heights", "Rock Springs"): a city
# found by its first word takes them too, written in the same case.
_PLACE_SUFFIX = frozenset(
    """mill mills park heights hills hill springs spring falls beach village city township junction creek
    valley harbor harbour shores shore station landing crossing ridge point corner corners grove center
    lake lakes""".split()
)
# A residence cue: the city after it counts even when it is also a clinical or kept word ("LIVES IN
# HAMPTON" — Hampton is a radiological eponym too).
_RESIDENCE = re.compile(
    r"(?i)\b(?:lives?|living|resides?|residing|home|moved|native|vacation(?:ing)?)(?:[ \t]+alone)?"
    r"[ \t]+(?:in|near|of|to|at)[ \t]+$"
)


@dataclass(frozen=True)
class Gazetteer:
    single: frozenset[str]  # one-word city names, lower-case
    multi: frozenset[str]  # multi-word names, lower-case, words joined by one space
    longest: dict[str, int]  # first word of a multi-word name -> most words in such a name
    worded: frozenset[str]  # one-word city names that are also kept or clinical words


@cache
def gazetteer() -> Gazetteer:
    text = resources.files("service.deid").joinpath("data/us_cities.txt").read_text("utf-8")
    keep = name_lists().keep
    every = {line.replace("-", " ") for line in text.splitlines() if line and not line.startswith("#")}
    names = every - keep - name_lists().clinical
    multi = frozenset(n for n in names if " " in n)
    longest: dict[str, int] = {}
    for name in multi:
        words = name.split()
        longest[words[0]] = max(longest.get(words[0], 0), len(words))
    worded = frozenset(n for n in every - names if " " not in n and n not in STOPWORDS)
    return Gazetteer(frozenset(n for n in names if " " not in n and n not in STOPWORDS), multi, longest, worded)


def cities(text: str) -> list[Span]:
    """LOCATION spans of US city names (see the module docstring for when a name counts)."""
    gaz = gazetteer()
    found: list[Span] = []
    taken = -1  # end of the last city found
    for m in _CAPITALISED.finditer(text):
        start = m.start()
        if start < taken or (start and text[start - 1].isalpha()):
            continue
        word = m.group()
        lower = word.lower()
        abbreviated = lower in _ABBREVIATIONS
        if abbreviated:
            lower = _ABBREVIATIONS[lower]
        end = _multi_word(text, m.end(), lower, gaz, abbreviated=abbreviated) if lower in gaz.longest else 0
        resident = lower in gaz.worded and len(lower) > 3 \
            and _RESIDENCE.search(text, max(0, start - 30), start) is not None
        if end or resident or (lower in gaz.single and _single_word(text, start, word, lower)):
            if not _after_locative(text, start) and (eponym(text, start, end or m.end()) or used_as_noun(text, start)):
                continue  # "Penrose drain", "a modified Pomeroy technique", "Santa Barbara T-tube"
            taken = _with_suffix(text, end or m.end(), word)
            found.append(Span(EntityType.LOCATION, start, taken, 0.8 if end else 0.75, "city"))
    for m in _LOWER_AFTER.finditer(text):  # lower case: only rare words after a locative context
        lower, start = m.group(1), m.start(1)
        single = lower in gaz.single and zipf(lower) < _RARE or lower in gaz.worded and len(lower) > 3 \
            and _RESIDENCE.search(text, max(0, start - 30), start) is not None
        if (single or lower in gaz.longest) and not text[m.end() : m.end() + 1].isalnum() \
                and _after_locative(text, start):
            end = _multi_word(text, m.end(), lower, gaz, capitalised=False) if lower in gaz.longest else 0
            if end or single:
                found.append(Span(EntityType.LOCATION, start, end or m.end(), 0.75, "city"))
    return found


def _with_suffix(text: str, end: int, word: str) -> int:
    """End of the city that ends at `end`, widened over a generic place word in the same case
    ("MILFORD MILL", "Rock Springs")."""
    m = _NEXT_WORD.match(text, end)
    if m is None or m.group()[0] not in " \t" or m.group(1).lower() not in _PLACE_SUFFIX:
        return end
    nxt = m.group(1)
    same_case = nxt.isupper() == word.isupper() and nxt[0].isupper() == word[0].isupper()
    return m.end() if same_case else end


def _multi_word(text: str, position: int, first: str, gaz: Gazetteer, capitalised: bool = True,
                abbreviated: bool = False) -> int:
    """End of the longest multi-word city whose first word (`first`, lower-case, "St." spelt out)
    ends at `position`, or 0. Capitalised: every word but particles capitalised; else one rare word."""
    most = gaz.longest[first]
    parts = [first]
    rare = False
    best = 0
    for _ in range(most - 1):
        m = _NEXT_WORD.match(text, position)
        if m is None or ("." in m.group() and not (abbreviated and len(parts) == 1)):
            break
        word = m.group(1)
        lower = word.lower()
        if capitalised and not word[0].isupper() and lower not in _PARTICLES:
            break
        rare = rare or zipf(lower) < _RARE
        parts.append(lower)
        position = m.end()
        if len(word) > 1 and " ".join(parts) in gaz.multi:
            best = position
    return best if capitalised or rare else 0


def _single_word(text: str, start: int, word: str, lower: str) -> bool:
    if len(lower) < 3:
        return False
    locative = _after_locative(text, start)
    score = zipf(lower)
    if locative:
        return score < _COMMON and (len(word) > 3 or not word.isupper())  # "FROM TOWSON", not "FROM ICU"
    if _INSTITUTION_NEXT.match(text, start + len(word)):
        return score < _COMMON  # "BALTIMORE REHAB", "Towson Memorial"
    if word.isupper():
        return False
    before = text[max(0, start - 4) : start].rstrip(" \t")
    return score < _RARE and bool(before) and before[-1] not in _SENTENCE_END


def _after_locative(text: str, start: int) -> bool:
    """Does a locative context ("in", "from", "lives near", "transferred to") end just before start?"""
    if not start or text[start - 1] not in " \t":
        return False
    words = [w.strip("(\"'[") for w in text[max(0, start - 30) : start].lower().split()]
    if not words:
        return False
    if words[-1] in _LOCATIVE:
        return True
    return len(words) > 1 and (words[-1] == "to" and words[-2] in _MOVED or words[-2:] == ["native", "of"])
