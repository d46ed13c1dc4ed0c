"""Detection: every recognizer over a batch of texts → sorted, non-overlapping PHI spans."""

from __future__ import annotations

from collections.abc import Sequence

from service.deid.names import NameRecognizer
from service.deid.nlp import PresidioContacts, SpacyNer
from service.deid.patterns import PATTERN_RECOGNIZERS
from service.deid.spans import Span, resolve_overlaps
from service.settings import Settings


class Detector:
    """Finds PHI: radiology pattern recognizers, names in context and by dictionary, Presidio's
    contact recognizers, and spaCy NER on the lines whose words leave a name in doubt (capitalised
    words that no list knows). Most radiology lines have none, which keeps NER off the hot path.

    Loading takes a few seconds (spaCy, word lists); build one per process and reuse it.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self._batch_size = settings.batch_size
        self._names = NameRecognizer()
        self._contacts = PresidioContacts()
        self._ner = SpacyNer(settings.spacy_model)

    def detect(self, text: str) -> list[Span]:
        return self.detect_batch([text])[0]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        found: list[list[Span]] = []
        snippets: list[tuple[int, int]] = []  # (text index, offset of the line in it)
        snippet_texts: list[str] = []
        for index, text in enumerate(texts):
            spans = self._contacts.analyze(text)
            for recognize in PATTERN_RECOGNIZERS:
                spans += recognize(text)
            names, doubtful = self._names.analyze(text)
            spans += names
            for start, end in doubtful:
                snippets.append((index, start))
                snippet_texts.append(text[start:end])
            found.append(spans)
        if snippet_texts:
            ner = self._ner.analyze_batch(snippet_texts, self._batch_size)
            for (index, offset), spans in zip(snippets, ner, strict=True):
                found[index] += [
                    Span(s.entity_type, s.start + offset, s.end + offset, s.score, s.source) for s in spans
                ]
        return [resolve_overlaps(spans, text) for text, spans in zip(texts, found, strict=True)]
