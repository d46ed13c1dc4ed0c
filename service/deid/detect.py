"""Detection: every recognizer over a batch of texts → sorted, non-overlapping PHI spans.

The recognizers run on an NFKC view of each text (full-width "ＭＲＮ９９８８", superscript and other
compatibility forms read as plain letters and digits), and spans map back to the original. Then
three passes over the spans of a text:

- field labels ("Pat Loc:", "Proc Ord:") are never names or places by weak evidence (dictionary,
  gazetteer, NER);
- protected numbers (doses, measurements, CPT/ICD codes, vertebral levels) are cut out of any
  span that reached into them ("Keflex 500 mg" as an organisation, "#1234  41.4 mg" as a phone);
- a word detected as a name or place by its context is PHI at its other places in the same text
  too ("Radu Crosson ... Radu wishes"), unless it is also an English or clinical word.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections.abc import Sequence

from service.deid.context import (
    destinations,
    employers,
    institution_acronyms,
    label_ranges,
    person_fields,
    protected_ranges,
    typist_initials,
)
from service.deid.lexicon import STOPWORDS, name_lists, zipf
from service.deid.names import NameRecognizer
from service.deid.nlp import SpacyNer
from service.deid.patterns import PATTERN_RECOGNIZERS
from service.deid.spans import EntityType, Span, resolve_overlaps
from service.deid.usage import eponym, is_cased, used_as_noun
from service.settings import Settings

_NAMES_AND_PLACES = frozenset({EntityType.PERSON, EntityType.LOCATION, EntityType.ORGANIZATION, EntityType.ADDRESS})
_CUT_BY_NUMBERS = frozenset(EntityType) - {EntityType.AGE}
_PROPAGATED = frozenset({EntityType.PERSON, EntityType.LOCATION, EntityType.ORGANIZATION})
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*")


def nfkc_view(text: str) -> tuple[str, list[int] | None]:
    """(NFKC form of the text, for each of its characters the offset it came from; None when the
    text is its own NFKC form)."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text, None
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
        chars.append(folded)
        origin.extend([i] * len(folded))
    origin.append(len(text))
    return "".join(chars), origin


def _map_back(spans: list[Span], origin: list[int] | None) -> list[Span]:
    if origin is None:
        return spans
    return [Span(s.entity_type, origin[s.start], origin[s.end - 1] + 1, s.score, s.source)
            for s in spans if s.end > s.start]


class Detector:
    """Finds PHI: radiology pattern recognizers, names and places by position and context, names by
    dictionary, contacts (phones, emails, IPs), and spaCy NER on the lines whose words leave a name in
    doubt (capitalised words that no list knows). Most radiology lines have none, which keeps NER off
    the hot path.

    Loading takes a few seconds (spaCy, word lists); build one per process and reuse it.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self._batch_size = settings.batch_size
        self._names = NameRecognizer()
        self._ner = SpacyNer(settings.spacy_model)
        # The models' objects live as long as the process: out of the collector's full passes, which
        # otherwise re-read all of them each time a long report's allocations trigger one (~0.13 s each,
        # 9 of them in 12 s of adversarial reports; 0.04 s in all once frozen).
        gc.freeze()

    def detect(self, text: str) -> list[Span]:
        return self.detect_batch([text])[0]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        found: list[list[Span]] = []
        views: list[tuple[str, list[int] | None]] = [nfkc_view(text) for text in texts]
        snippets: list[tuple[int, int]] = []  # (text index, offset of the line in it)
        snippet_texts: list[str] = []
        cased_texts: list[bool] = []
        for index, (text, _) in enumerate(views):
            spans: list[Span] = []
            for recognize in PATTERN_RECOGNIZERS:
                spans += recognize(text)
            cased = is_cased(text)
            names, doubtful = self._names.analyze(text, cased)
            spans += names + person_fields(text) + typist_initials(text) + destinations(text, cased) \
                + institution_acronyms(text) + employers(text, cased)
            for start, end in doubtful:
                snippets.append((index, start))
                snippet_texts.append(text[start:end])
            found.append(spans)
            cased_texts.append(cased)
        if snippet_texts:
            ner = self._ner.analyze_batch(snippet_texts, self._batch_size)
            for (index, offset), spans in zip(snippets, ner, strict=True):
                text = views[index][0]
                found[index] += [
                    Span(s.entity_type, s.start + offset, s.end + offset, s.score, s.source) for s in spans
                    # "Scarpa fascia", "Metzenbaum scissors", "line of Toldt", "the Bovie": things
                    if not eponym(text, s.start + offset, s.end + offset)
                    and not (s.entity_type is EntityType.PERSON and used_as_noun(text, s.start + offset))
                ]
        results = []
        for (text, origin), spans, cased in zip(views, found, cased_texts, strict=True):
            spans = _propagate(text, _cut_protected(text, _drop_labels(text, spans)), cased)
            results.append(_map_back(resolve_overlaps(spans, text), origin))
        return results


def _drop_labels(text: str, spans: list[Span]) -> list[Span]:
    labels = label_ranges(text)
    if not labels:
        return spans
    # Only the weak evidence (dictionary, gazetteer, NER) gives way: "Dr. Smith:" stays a name.
    return [s for s in spans if s.entity_type not in _NAMES_AND_PLACES or s.score >= 0.85
            or not any(a <= s.start and s.end <= b for a, b in labels)]


def _cut_protected(text: str, spans: list[Span]) -> list[Span]:
    protected = protected_ranges(text)
    if not protected:
        return spans
    out = []
    for s in spans:
        overlapping = [(a, b) for a, b in protected if a < s.end and s.start < b]
        if not overlapping or s.entity_type not in _CUT_BY_NUMBERS:
            out.append(s)
            continue
        start, end = s.start, s.end
        for a, b in overlapping:  # keep the part before the protected number, if it still holds a digit
            if a <= start:
                start = max(start, b)
            else:
                end = min(end, a)
        if start < end and any(ch.isalnum() for ch in text[start:end]):
            out.append(Span(s.entity_type, start, end, s.score, s.source))
    return out


def _propagate(text: str, spans: list[Span], cased: bool) -> list[Span]:
    """Other places in the text of the words that context marked as a name or a place."""
    lists = name_lists()
    words: dict[str, EntityType] = {}
    for s in spans:
        if s.entity_type in _PROPAGATED and s.score >= 0.8 and not s.source.startswith("spacy"):
            for m in _WORD.finditer(text, s.start, s.end):
                if cased and not m.group()[0].isupper():
                    continue
                lower = m.group().lower()
                abbreviation = len(lower) == 2 and m.group().isupper() and s.source.startswith("place")  # "GH"
                if (len(lower) >= 3 or abbreviation) and lower not in STOPWORDS and not lists.vocabulary(lower) \
                        and zipf(lower) < 3.5:
                    words.setdefault(lower, s.entity_type)
    if not words:
        return spans
    extra = []
    for m in _WORD.finditer(text):
        kind = words.get(m.group().lower())
        if kind is not None and (m.group()[0].isupper() or not cased):
            extra.append(Span(kind, m.start(), m.end(), 0.75, "propagated"))
    return spans + extra
