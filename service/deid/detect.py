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
    contact recognizers, and spaCy NER on the texts whose words leave a name in doubt.

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
        doubtful: list[int] = []
        for index, text in enumerate(texts):
            spans = self._contacts.analyze(text)
            for recognize in PATTERN_RECOGNIZERS:
                spans += recognize(text)
            names, suspicious = self._names.analyze(text)
            spans += names
            if suspicious:
                doubtful.append(index)
            found.append(spans)
        if doubtful:
            ner = self._ner.analyze_batch([texts[i] for i in doubtful], self._batch_size)
            for index, spans in zip(doubtful, ner, strict=True):
                found[index] += spans
        return [resolve_overlaps(spans) for spans in found]
