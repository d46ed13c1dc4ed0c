"""Tests for service/sections/checks.py: the validator the rules share with the LLM task, and each
plausibility check, through the rules sectioner. All reports here are synthetic."""

from __future__ import annotations

import re

import pytest

from service.sections import RulesSectioner, SectionResult
from service.sections.checks import doubtful_sections, plausibility, validate, validate_spans

SPLIT = RulesSectioner().split


def test_validate_finds_overlap_foreign_headers_and_non_verbatim_values() -> None:
    text = "FINDINGS: Lungs clear.\nIMPRESSION: Normal."
    good = SPLIT(text)
    assert validate(text, good) is None
    assert validate_spans(text, {"findings": (10, 30), "impression": (25, 42)}) == "overlap"
    assert validate_spans(text, {"findings": (10, 42)}) == "contains_other_header"
    bad = SectionResult(dict(good.sections, findings="Lungs are clear."), good.spans, 1.0, ())
    assert validate(text, bad) == "not_verbatim"


def test_a_section_holding_another_sections_header_in_lower_case_is_flagged() -> None:
    result = SPLIT("FINDINGS: Lungs clear. The overall impression: mild edema.\nCOMPARISON: None.")
    assert "header_inside:findings" in result.reasons and result.confidence < 0.9
    assert not any(reason.startswith("header_inside") for reason in SPLIT("FINDINGS: Lungs: clear.").reasons)


def test_a_section_holding_a_field_label_is_flagged() -> None:
    result = SPLIT("FINDINGS: Lungs clear as of study date: 01/02/2020.\nIMPRESSION: Normal.")
    assert "field_inside:findings" in result.reasons and result.confidence < 0.9


def test_findings_sentences_in_a_run_on_indication_are_flagged() -> None:
    text = "Reason: cough. The lungs are clear. The heart size is normal. No pleural effusion. IMPRESSION: Normal."
    result = SPLIT(text)
    assert "findings_in_indication" in result.reasons and result.confidence < 0.9


def test_the_same_words_on_lines_of_their_own_are_what_their_header_says() -> None:
    text = "INDICATION: The lungs are clear. The heart size is normal.\nIMPRESSION: Normal."
    result = SPLIT(text)
    assert result.reasons == () and result.confidence >= 0.9
    assert doubtful_sections(text, result) == set()


def test_a_paragraph_break_makes_a_section_doubtful() -> None:
    text = "INDICATION: Cough.\n\nThe lungs are clear. Heart size is normal.\n\nIMPRESSION: Normal."
    result = SPLIT(text)
    assert doubtful_sections(text, result) == {"indication"}
    assert "findings_in_indication" in result.reasons


@pytest.mark.parametrize("indication", [
    "Fever. Compared with the radiograph of last week.",
    "Fever. No prior.",
    "Shortness of breath None",
    "Shortness of breath 03/04/2020",
    "Shortness of breath [**Date**], [**Date**]",
])
def test_a_comparison_left_in_the_indication_is_flagged(indication: str) -> None:
    result = SPLIT(f"Reason: {indication} FINDINGS: Lungs clear. IMPRESSION: Normal.")
    assert "comparison_in_indication" in result.reasons and result.confidence < 0.9


@pytest.mark.parametrize("indication", [
    "Chest pain [**Date**]",
    "Cough for a week. [**Date**].",
    "Drain taken out yesterday",
    "New line, placed this morning at [**Time**]",
    "[**Name**] [**Date**]",
])
def test_dates_ending_an_indication_right_before_the_impression_are_flagged(indication: str) -> None:
    result = SPLIT(f"Reason: {indication} Imp: No acute disease.")
    assert "date_after_indication" in result.reasons and result.confidence < 0.9
    assert result.sections["indication"] == indication  # only the confidence changes


@pytest.mark.parametrize("text", [
    "Reason: Chest pain [**Date**] Findings: Lungs clear. Imp: No acute disease.",  # findings labelled
    "Reason: Chest pain [**Date**] Comp: None. Imp: No acute disease.",  # comparison labelled
    "Reason: Cough for 2 days Imp: No acute disease.",  # a duration, no date
    "Reason: Chest pain [**Date**]\nImpression: No acute disease.",  # on a line of its own
])
def test_dates_in_an_indication_are_left_alone_where_nothing_can_hide(text: str) -> None:
    result = SPLIT(text)
    assert "date_after_indication" not in result.reasons and result.confidence >= 0.9


def test_a_findings_statement_in_an_indication_is_flagged_even_without_a_full_stop() -> None:
    result = SPLIT("Reason: knee surgery next week The heart is normal in size. Imp: No acute disease.")
    assert "findings_in_indication" in result.reasons and result.confidence < 0.9
    assert SPLIT("Reason: knee surgery next week. Imp: The heart is normal in size.").confidence >= 0.9


def test_a_comparison_going_on_after_its_date_while_findings_are_missing_is_flagged() -> None:
    text = "Hx: cough. Comp: Radiograph [**Date**] two views of the upright patient. Imp: Normal."
    result = SPLIT(text)
    assert "long_comparison" in result.reasons and result.confidence < 0.9
    labelled = "Hx: cough. Comp: Radiograph [**Date**]. Findings: Lungs clear. Imp: Normal."
    assert SPLIT(labelled).confidence >= 0.9


def test_a_comparison_of_findings_sentences_is_flagged() -> None:
    result = SPLIT("Comp: None. The lungs are clear. No effusion. IMPRESSION: Normal.")
    assert "long_comparison" in result.reasons and result.confidence < 0.9


def test_an_indication_much_longer_than_findings_and_impression_is_flagged() -> None:
    indication = " ".join(["Patient with a long story of cough and fever and weight loss"] * 3)
    result = SPLIT(f"Hx: {indication}. IMPRESSION: Normal.")
    assert "long_indication" in result.reasons


def test_findings_before_the_first_header_are_no_title() -> None:
    result = SPLIT("Chest two views. The lungs are clear.\nIMPRESSION: Normal.")
    assert "preamble_text" in result.reasons and result.confidence < 0.9
    assert SPLIT("CHEST PA AND LATERAL\nIMPRESSION: Normal.").confidence >= 0.9


def test_text_after_a_field_line_is_flagged() -> None:
    text = ("FINDINGS: Lungs clear.\nAccession: A-1\nThe heart size is normal and the mediastinum is clear.\n"
            "IMPRESSION: Normal.")
    result = SPLIT(text)
    assert result.sections["findings"] == "Lungs clear." and "text_after_field" in result.reasons
    assert "text_after_field" not in SPLIT("FINDINGS: Lungs clear.\nAccession: A-1\n\nIMPRESSION: Normal.").reasons


def test_a_header_the_checks_see_is_tried_and_kept_when_the_split_passes() -> None:
    result = SPLIT("History: cough Comparison: None DESCRIPTION: Lungs clear. IMPRESSION: Normal.")
    assert result.sections == {"indication": "cough", "comparison": "None", "findings": "Lungs clear.",
                               "impression": "Normal."}
    assert result.reasons == ("lenient_header",) and result.confidence >= 0.9


def test_plausibility_reasons_name_checks_and_sections_only() -> None:
    text = "Reason: John Smithers, MRN 12345. The lungs are clear. Heart normal. Date: x. IMPRESSION: Normal."
    result = SPLIT(text)
    assert result.reasons and plausibility(text, result) is not None
    for reason in result.reasons:
        assert re.fullmatch(r"[a-z_]+(:[a-z]+)?", reason), reason
