"""The backend contract: prompts in, completions out. Nothing about sections lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Constraints:
    """What an answer must look like. `schema` is the JSON schema every backend is held to (the subset
    that OpenAI strict mode and vLLM both accept); the bounds are task facts a backend that can enforce
    them uses to tighten its decoding, never to change the answer's meaning.

    `units`: the answer names unit numbers 1..units ([first, last] per key); None: the answer is text,
    no string longer than `max_chars`.
    """

    schema: dict[str, Any]
    units: int | None = None
    max_chars: int | None = None


@dataclass(frozen=True)
class CompletionRequest:
    """One chat completion constrained to a JSON schema.

    `messages` are chat messages (system first: the shared, cacheable instructions). `document`
    is the text the prompt is about; only backends that do not read prompts (rules) use it.
    """

    messages: list[dict[str, str]]
    constraints: Constraints
    max_tokens: int
    document: str = ""
    scored: str = ""
    """One-character tokens ("ICFMO") whose log-probabilities the task wants at each step where one of them
    is written; "" none. A backend that cannot tell them returns the plain text."""


class Completion(str):
    """A completion's text, and — where the request named `scored` letters and the backend can tell them —
    for each written token that is one of those letters, the log-probability of each letter at that step
    (`letter_logprobs`; a letter outside the backend's top candidates is absent). A `str`: the backend
    contract stays one method, `complete`, and callers that want only the text need nothing else."""

    letter_logprobs: tuple[dict[str, float], ...] | None

    def __new__(cls, text: str, letter_logprobs: Sequence[dict[str, float]] | None = None) -> Completion:
        completion = super().__new__(cls, text)
        completion.letter_logprobs = None if letter_logprobs is None else tuple(letter_logprobs)
        return completion


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
    """Turns requests into completions (JSON text), one per request, in order. Backends subclass it
    for the no-op `start` and `close`, and override them when they hold an engine or a connection."""

    name: ClassVar[str]
    is_available: ClassVar[bool] = True
    usage: Usage

    def complete(self, requests: Sequence[CompletionRequest]) -> list[str]: ...

    def start(self) -> None:
        """Load now what `complete` would load on first use (a server calls it at start-up)."""
        return None

    def check(self) -> None:
        """Raise a ConfigError now, naming the setting to fix, if `complete` cannot work (an endpoint
        unreachable, a key missing or refused, a model unknown); cheap, loads no engine. Run at start-up
        for a backend the user named. A backend that checks everything in its constructor keeps this."""
        return None

    def close(self) -> None:
        """Release engines, processes and connections; calling it twice is harmless."""
        return None
