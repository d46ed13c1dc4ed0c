"""Splitting a chest X-ray report into indication, comparison, findings, impression."""

from service.sections.rules import SECTION_NAMES, RulesSectioner, SectionResult

__all__ = ["SECTION_NAMES", "RulesSectioner", "SectionResult"]
