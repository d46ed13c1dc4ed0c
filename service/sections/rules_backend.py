"""The rules sectioner as a backend: it answers a section request from the report itself
(the header rules, or for a report without headers the heuristic split of `headerless`).

It reads `request.document` (not the prompt) and answers in the form its constraints ask for (unit
numbers or text), so runs with the rules and with an LLM go through the same parsing and validation,
and compare like for like.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from service.backends.base import Backend, CompletionRequest, Usage
from service.sections.headerless import rules_or_heuristic
from service.sections.result import SECTION_NAMES
from service.sections.rules import RulesSectioner
from service.sections.units import split_units


class RulesBackend(Backend):
    name: ClassVar[str] = "rules"

    def __init__(self) -> None:
        self._rules = RulesSectioner()
        self.usage = Usage()

    def complete(self, requests: Sequence[CompletionRequest]) -> list[str]:
        return [self._answer(r) for r in requests]

    def _answer(self, request: CompletionRequest) -> str:
        text = request.document
        result = rules_or_heuristic(text, self._rules)
        if request.constraints.units is None:
            return json.dumps(result.sections)
        units = split_units(text)
        answer: dict[str, list[int]] = {}
        for name in SECTION_NAMES:
            span = result.spans[name]
            inside = [] if span is None else [
                i for i, u in enumerate(units, start=1) if u.start < span[1] and span[0] < u.end
            ]
            answer[name] = [inside[0], inside[-1]] if inside else []
        return json.dumps(answer)
