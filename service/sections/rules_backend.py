"""The rules sectioner as a backend: it answers a section request from the report itself
(the header rules, or for a report without headers the heuristic split of `headerless`).

It reads `request.document` (not the prompt) and answers in the form its constraints ask for (unit
numbers, unit labels, numbered unit labels or text), so runs with the rules and with an LLM go
through the same parsing and validation, and compare like for like.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from service.backends.base import Backend, CompletionRequest, Usage
from service.sections.headerless import rules_or_heuristic
from service.sections.result import SECTION_NAMES, Span
from service.sections.rules import RulesSectioner
from service.sections.task import LABEL_OF, OTHER, labels_answer, tags_answer
from service.sections.units import Unit, split_units


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
        if "labels" in request.constraints.schema["properties"]:
            return labels_answer("".join(_label(result.spans, u) for u in units))
        if "tags" in request.constraints.schema["properties"]:
            return tags_answer("".join(_label(result.spans, u) for u in units))
        answer: dict[str, list[int]] = {}
        for name in SECTION_NAMES:
            span = result.spans[name]
            inside = [] if span is None else [
                i for i, u in enumerate(units, start=1) if u.start < span[1] and span[0] < u.end
            ]
            answer[name] = [inside[0], inside[-1]] if inside else []
        return json.dumps(answer)


def _label(spans: dict[str, Span | None], unit: Unit) -> str:
    """The letter of the section that overlaps the unit (sections never share a unit), else OTHER."""
    return next((LABEL_OF[name] for name, span in spans.items()
                 if span is not None and unit.start < span[1] and span[0] < unit.end), OTHER)
