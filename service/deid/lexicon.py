"""Word lists behind name detection and name surrogates, loaded once per process.

- Census name lists (US Census 1990 first and last names, public domain, shipped by the `names`
  package): what counts as a possible name, and the pool surrogates are drawn from.
- Word frequency (`wordfreq`, Zipf scale: 7 ≈ "the", 3 ≈ once per million words): a census name
  that is also a common English word ("Gray", "Stone", "Rose") is a name only where the context says so.
- `data/keep_words.txt`: clinical eponyms and radiology words that are never PHI on their own.
- `data/english_names.txt`: census names that are also lower-case English words (SCOWL): "long",
  "bell", "supple", "patella". Names only where context says so, never by the dictionary alone.
- `data/clinical_words.txt`: the words of drug and disease names (MIT lexicons): "medrol",
  "colace", "guillain". Never names or places without context.
Both are built by `scripts/build_word_lists.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from wordfreq import zipf_frequency

from service.errors import DependencyError

STOPWORDS = frozenset(
    """a an and are as at be but by for from has have he her his i if in into is it its me my no nor
    not of on or our she so than that the their them then there these they this to was we were what
    when where which who will with you your per via pt pts""".split()
)


@dataclass(frozen=True)
class NameLists:
    first: frozenset[str]  # lower-case
    last: frozenset[str]
    first_pool: tuple[str, ...]  # Title-case surrogate pools, most common first
    last_pool: tuple[str, ...]
    keep: frozenset[str]
    english: frozenset[str]  # census names that are lower-case English words
    clinical: frozenset[str]  # words of drug and disease names

    def vocabulary(self, lower: str) -> bool:
        """Is this lower-case word known as something other than a name (English, clinical, kept)?"""
        return lower in self.keep or lower in self.english or lower in self.clinical


def _census(filename: str) -> list[str]:
    try:
        text = resources.files("names").joinpath(filename).read_text(encoding="ascii")
    except ModuleNotFoundError as exc:  # pragma: no cover - a broken install
        raise DependencyError("the 'names' package is missing: run `pip install radprep`") from exc
    return [line.split()[0].lower() for line in text.splitlines() if line.strip()]


def _word_file(name: str) -> frozenset[str]:
    text = resources.files("service.deid").joinpath(f"data/{name}").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def name_lists() -> NameLists:
    first = _census("dist.female.first") + _census("dist.male.first")
    last = _census("dist.all.last")
    keep = _word_file("keep_words.txt")

    def pool(words: list[str], size: int) -> tuple[str, ...]:
        picked = [w for w in words[: size * 2] if w not in keep and zipf(w) < 4.0 and len(w) > 2]
        return tuple(w.capitalize() for w in picked[:size])

    return NameLists(
        first=frozenset(first), last=frozenset(last),
        first_pool=pool(list(dict.fromkeys(first)), 2000), last_pool=pool(last, 5000), keep=keep,
        english=_word_file("english_names.txt"), clinical=_word_file("clinical_words.txt"),
    )


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """How common a lower-case word is in English (0 = unseen, 7 = 'the')."""
    return zipf_frequency(word, "en")
