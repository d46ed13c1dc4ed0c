"""Routing between the rules sectioner and an LLM backend, with validation, one retry and fallback.

Routes: `rules` (never the LLM), `llm` (every report to the LLM), `auto` (the rules result when the
rules are confident, the LLM otherwise: reports without headers, unknown layouts). An LLM answer
that fails validation is asked for once more; a second failure, or a backend error, falls back to
the rules result with a PHI-free warning. For a report without headers the "rules result" is the
heuristic split of `headerless` (low confidence). Each call returns the counts of its events as a
`RouteStats` value, counted where they happen; the router itself keeps no counters.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from service.backends.base import Backend
from service.errors import BackendError, ConfigError, SectionValidationError
from service.sections.headerless import rules_or_heuristic
from service.sections.result import SectionResult
from service.sections.rules import RulesSectioner
from service.sections.task import SectionTask

Route = Literal["auto", "llm", "rules"]
CONFIDENT = 0.9
log = logging.getLogger("radprep")


@dataclass
class RouteStats:
    reports: int = 0
    rules_used: int = 0
    llm_reports: int = 0
    llm_calls: int = 0
    retries: int = 0
    fallbacks: int = 0
    backend_errors: int = 0
    invalid: Counter[str] = field(default_factory=Counter)

    def add(self, other: RouteStats) -> None:
        for name, value in vars(other).items():
            if name != "invalid":
                setattr(self, name, getattr(self, name) + value)
        self.invalid.update(other.invalid)

    def as_dict(self) -> dict[str, object]:
        return {**{k: v for k, v in vars(self).items() if k != "invalid"}, "invalid": dict(self.invalid),
                "llm_calls_per_report": round(self.llm_calls / self.reports, 3) if self.reports else 0.0}


@dataclass(frozen=True)
class Sectioned:
    result: SectionResult
    source: str  # "rules", "llm" or "fallback"
    warnings: tuple[str, ...] = ()


class SectionRouter:
    def __init__(self, route: Route, backend: Backend | None = None, task: SectionTask | None = None,
                 rules: RulesSectioner | None = None) -> None:
        if route != "rules" and backend is None:
            raise ConfigError(f"route {route!r} needs a backend")
        self.route = route
        self.backend = backend
        self.task = task or SectionTask()
        self.rules = rules or RulesSectioner()

    def rules_batch(self, texts: Sequence[str]) -> list[SectionResult]:
        """The rules sectioner's result (or the heuristic split) for each text."""
        return [rules_or_heuristic(t, self.rules) for t in texts]

    def split_batch(self, texts: Sequence[str], rules: Sequence[SectionResult] | None = None,
                    ) -> tuple[list[Sectioned], RouteStats]:
        """One result per text, in order, and the counts of what this call did. `rules`: the texts'
        `rules_batch`, when the caller has it already."""
        stats = RouteStats()
        rules = list(rules) if rules is not None else self.rules_batch(texts)
        stats.reports += len(texts)
        out = [Sectioned(r, "rules", _rules_warning(r)) for r in rules]
        wanted = [i for i, r in enumerate(rules) if self._wants_llm(r)]
        stats.rules_used += len(texts) - len(wanted)
        if not wanted:
            return out, stats
        stats.llm_reports += len(wanted)
        pending = wanted
        failures: dict[int, str] = {}
        for attempt in range(2):
            try:
                stats.llm_calls += len(pending)
                replies = self._complete([texts[i] for i in pending])
            except BackendError as exc:
                stats.backend_errors += 1
                log.warning("sections: %s; rules result used for %d reports", exc, len(pending))
                failures.update({i: "backend_error" for i in pending})
                break
            retry = []
            for i, reply in zip(pending, replies, strict=True):
                try:
                    out[i] = Sectioned(self.task.parse(texts[i], reply), "llm")
                    failures.pop(i, None)
                except SectionValidationError as exc:
                    stats.invalid[exc.reason] += 1
                    failures[i] = exc.reason
                    retry.append(i)
            if not retry:
                break
            if attempt == 0:
                stats.retries += len(retry)
            pending = retry
        for i, reason in failures.items():
            stats.fallbacks += 1
            out[i] = Sectioned(rules[i], "fallback",
                               (f"sections: LLM answer rejected ({reason}); rules result used",))
        return out, stats

    def _wants_llm(self, result: SectionResult) -> bool:
        return self.route == "llm" or (self.route == "auto" and result.confidence < CONFIDENT)

    def _complete(self, texts: list[str]) -> list[str]:
        assert self.backend is not None
        requests = [self.task.request(t) for t in texts]
        replies = self.backend.complete(requests)
        if len(replies) != len(requests):
            raise BackendError(f"backend returned {len(replies)} replies for {len(requests)} requests")
        return replies


def _rules_warning(result: SectionResult) -> tuple[str, ...]:
    if result.confidence >= CONFIDENT:
        return ()
    return (f"sections: rules confidence {result.confidence:.2f} ({', '.join(result.reasons)})",)
