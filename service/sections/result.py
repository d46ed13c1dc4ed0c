"""What every sectioner returns: four sections, where they lie in the report, and how sure it is."""

from __future__ import annotations

from dataclasses import dataclass

SECTION_NAMES: tuple[str, ...] = ("indication", "comparison", "findings", "impression")

Span = tuple[int, int]


@dataclass(frozen=True)
class SectionResult:
    """Four sections of one report; every value is text[start:end] of its span, or None."""

    sections: dict[str, str | None]
    spans: dict[str, Span | None]
    confidence: float
    reasons: tuple[str, ...]

    @classmethod
    def from_spans(cls, text: str, spans: dict[str, Span | None], confidence: float,
                   reasons: tuple[str, ...] = ()) -> SectionResult:
        return cls(
            {name: None if spans.get(name) is None else text[spans[name][0] : spans[name][1]]  # type: ignore[index]
             for name in SECTION_NAMES},
            {name: spans.get(name) for name in SECTION_NAMES},
            confidence,
            reasons,
        )
