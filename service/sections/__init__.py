"""Splitting a chest X-ray report into indication, comparison, findings, impression.

`rules` splits at headers; `task` asks an LLM backend and validates its answer; `router`
chooses between them per report; `rules_backend` is the rules answering as a backend would.
"""

from service.sections.result import SECTION_NAMES, SectionResult
from service.sections.rules import RulesSectioner

__all__ = ["SECTION_NAMES", "RulesSectioner", "SectionResult"]
