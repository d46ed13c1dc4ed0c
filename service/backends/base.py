"""The backend contract: prompts in, completions out. Nothing about sections lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class CompletionRequest:
    """One chat completion constrained to a JSON schema.

    `messages` are chat messages (system first: the shared, cacheable instructions). `document`
    is the text the prompt is about; only backends that do not read prompts (rules) use it.
    `hints` carries task facts a backend may use to tighten its decoding (e.g. the number of
    units, the longest allowed string), never to change the answer's meaning.
    """

    messages: list[dict[str, str]]
    schema: dict[str, Any]
    max_tokens: int
    document: str = ""
    hints: dict[str, Any] = field(default_factory=dict)


@dataclass
class Usage:
    """Token and call counts a backend accumulates; read by the pipeline and the benchmarks."""

    calls: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    cached_prompt_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.output_tokens += other.output_tokens
        self.cached_prompt_tokens += other.cached_prompt_tokens


class Backend(Protocol):
    """Turns requests into completions (JSON text), one per request, in order."""

    name: ClassVar[str]
    usage: Usage

    def complete(self, requests: Sequence[CompletionRequest]) -> list[str]: ...
