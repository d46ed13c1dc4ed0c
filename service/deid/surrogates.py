"""Realistic, consistent surrogates ("hiding in plain sight"), all derived from the secret.

- Names map word by word: the same word always becomes the same surrogate word, so "John Smith",
  "SMITH, JOHN" and "Dr. Smith" agree (Smith → the same surname everywhere). A known first name maps
  to a first name, any other word to a surname; case is kept (SMITH → JONES, smith → jones).
- Identifiers, phones, SSNs and zip codes keep their length, separators and character classes
  (digit → digit, upper → upper, lower → lower) and map consistently, keyed by the value without
  case or spacing differences, so "MRN 00123456" in text and PatientID "00123456" agree.
- Institutions become "<Surname> <the same kind of institution>", cities "<Surname><town ending>",
  streets "<number> <Surname> <the same street suffix>", emails and URLs addresses at example.org.
- Ages of 90 and over become "90+" (in text) or "090Y" (DICOM age strings).
A surrogate never equals the value it replaces.
"""

from __future__ import annotations

import re

from service.deid.keys import KeyedHasher, normalize_key
from service.deid.lexicon import NameLists, name_lists

_WORD = re.compile(r"[A-Za-z](?:[A-Za-z'’\-]*[A-Za-z])?")
_INSTITUTION_KIND = re.compile(
    r"(?i)(?:Hospitals?|Medical[ \t]+Cent(?:er|re)|Health[ \t]+(?:Center|System|Care)|Healthcare|Clinics?|Infirmary"
    r"|Imaging[ \t]+Center|Cancer[ \t]+Center|Nursing[ \t]+Home|Rehab(?:ilitation)?[ \t]+(?:Center|Hospital)"
    r"|Care[ \t]+Center|Surgery[ \t]+Center|Radiology[ \t]+\w+|Urgent[ \t]+Care|Memorial|Medical[ \t]+Group|Health)"
)
_STREET_SUFFIX = re.compile(r"(?i)\b(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct"
                            r"|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Pike|Row)\b\.?.*$")
_TOWN_ENDINGS = ("ville", "ton", "field", "burg", "port", "wood", "dale", "ford", "bury", "view")
_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = _UPPER.lower()


def match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template.islower():
        return word.lower()
    return word


class Surrogates:
    """Surrogate values for one secret. Stateless apart from the secret: safe to share."""

    def __init__(self, hasher: KeyedHasher, lists: NameLists | None = None) -> None:
        self._hasher = hasher
        self._lists = lists or name_lists()

    # -- names ---------------------------------------------------------------------------------
    def name_word(self, word: str) -> str:
        lower = word.lower()
        if len(word) == 1:
            letters = _UPPER.replace(word.upper(), "")
            return match_case(word, self._hasher.choice("initial", lower, tuple(letters)))
        pool = self._lists.first_pool if lower in self._lists.first else self._lists.last_pool
        choice = self._hasher.choice("name", lower, pool)
        if choice.lower() == lower:
            choice = pool[(pool.index(choice) + 1) % len(pool)]
        return match_case(word, choice)

    def person(self, text: str) -> str:
        return _WORD.sub(lambda m: self.name_word(m.group()), text)

    # -- identifiers ---------------------------------------------------------------------------
    def identifier(self, text: str) -> str:
        """Same length and character classes; consistent for the same value."""
        key = normalize_key(text).replace(" ", "")
        stream = self._stream("id", key, len(text))
        out = []
        for ch, r in zip(text, stream, strict=True):
            if ch.isdigit():
                out.append(_DIGITS[r % 10])
            elif ch.isupper():
                out.append(_UPPER[r % 26])
            elif ch.islower():
                out.append(_LOWER[r % 26])
            elif ch.isalnum():  # a letter of a script without case
                out.append(_UPPER[r % 26])
            else:
                out.append(ch)
        result = "".join(out)
        if result == text and any(ch.isalnum() for ch in text):  # astronomically rare; draw again
            return self.identifier(text + "\x00")[: len(text)]
        return result

    def _stream(self, domain: str, value: str, length: int) -> bytes:
        blocks = b""
        counter = 0
        while len(blocks) < length:
            blocks += self._hasher.digest(f"{domain}:{counter}", value)
            counter += 1
        return blocks[:length]

    # -- places and institutions -----------------------------------------------------------------
    def institution(self, text: str) -> str:
        kind = _INSTITUTION_KIND.search(text)
        suffix = kind.group() if kind else "Medical Center"
        surname = self._hasher.choice("institution", normalize_key(text), self._lists.last_pool)
        return match_case(text, f"{surname} {suffix}")

    def city(self, text: str) -> str:
        key = normalize_key(text)
        stem = self._hasher.choice("city", key, self._lists.last_pool)
        ending = self._hasher.choice("city-ending", key, _TOWN_ENDINGS)
        return match_case(text, stem + ending)

    def location(self, text: str) -> str:
        stripped = text.replace("-", "").replace(" ", "")
        if stripped.isdigit():
            return self.identifier(text)  # a zip code
        return self.city(text)

    def street(self, text: str) -> str:
        number = re.match(r"\d+", text)
        suffix = _STREET_SUFFIX.search(text)
        name = self._hasher.choice("street", normalize_key(text), self._lists.last_pool)
        # the suffix and a unit after it ("Drive Apt. 4B") stay; the unit's number is modified like an ID
        tail = re.sub(r"\d+", lambda m: self.identifier(m.group()), suffix.group()) if suffix else "Street"
        parts = [self.identifier(number.group()) if number else "", name, tail]
        return match_case(text, " ".join(p for p in parts if p))

    # -- contacts -----------------------------------------------------------------------------------
    def email(self, text: str) -> str:
        key = normalize_key(text)
        first = self._hasher.choice("email-first", key, self._lists.first_pool).lower()
        last = self._hasher.choice("email-last", key, self._lists.last_pool).lower()
        return f"{first[0]}{last}@example.org"

    def url(self, text: str) -> str:
        scheme = "https://" if text.lower().startswith("https") else "http://"
        token = self._hasher.digest("url", normalize_key(text)).hex()[:10]
        return f"{scheme}www.example.org/{token}"

    def ip(self, text: str) -> str:
        d = self._hasher.digest("ip", text.strip())
        if ":" in text:
            return "fd00:" + ":".join(d[i : i + 2].hex() for i in range(0, 8, 2))
        return f"10.{d[0]}.{d[1]}.{d[2] or 1}"

    # -- ages -----------------------------------------------------------------------------------------
    @staticmethod
    def age(text: str) -> str:
        return "90+"
