"""Tests for service/sections/rules.py (and the header table in headers.py).

All reports here are synthetic.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.sections import SECTION_NAMES, RulesSectioner, SectionResult

SPLIT = RulesSectioner().split

BASIC = (
    "INDICATION: Cough for two weeks.\n"
    "COMPARISON: None.\n"
    "FINDINGS: The lungs are clear. Heart size is normal.\n"
    "IMPRESSION: No acute cardiopulmonary process.\n"
)
BASIC_SECTIONS = {
    "indication": "Cough for two weeks.",
    "comparison": "None.",
    "findings": "The lungs are clear. Heart size is normal.",
    "impression": "No acute cardiopulmonary process.",
}


def assert_consistent(text: str, result: SectionResult) -> None:
    """The contract every result must keep, whatever the input."""
    assert tuple(result.sections) == SECTION_NAMES
    assert tuple(result.spans) == SECTION_NAMES
    assert 0.0 <= result.confidence <= 1.0
    for name in SECTION_NAMES:
        value, span = result.sections[name], result.spans[name]
        assert (value is None) == (span is None)
        if value is not None and span is not None:
            assert text[span[0] : span[1]] == value
            assert value == value.strip() and value
    for reason in result.reasons:
        assert re.fullmatch(r"[a-z_]+(:[a-z]+)?", reason), reason


def test_classic_inline_report_is_split_with_high_confidence() -> None:
    result = SPLIT(BASIC)
    assert result.sections == BASIC_SECTIONS
    assert result.confidence >= 0.9
    assert result.reasons == ()
    assert_consistent(BASIC, result)


def test_headers_on_their_own_line_give_the_same_sections() -> None:
    text = (
        "INDICATION\nCough for two weeks.\n\nCOMPARISON:\nNone.\n\n"
        "FINDINGS:\nThe lungs are clear. Heart size is normal.\n\n"
        "IMPRESSION\nNo acute cardiopulmonary process.\n"
    )
    result = SPLIT(text)
    assert result.sections == BASIC_SECTIONS
    assert result.confidence >= 0.9


@pytest.mark.parametrize(
    ("header", "section"),
    [
        ("INDICATION", "indication"),
        ("CLINICAL HISTORY", "indication"),
        ("HISTORY", "indication"),
        ("CLINICAL INDICATION", "indication"),
        ("REASON FOR EXAM", "indication"),
        ("REASON FOR STUDY", "indication"),
        ("CLINICAL INFORMATION", "indication"),
        ("CLINICAL DATA", "indication"),
        ("REASON FOR EXAMINATION", "indication"),
        ("INDICATIONS", "indication"),
        ("COMPARISON", "comparison"),
        ("COMPARISONS", "comparison"),
        ("PRIOR STUDIES", "comparison"),
        ("PRIOR", "comparison"),
        ("COMPARISON STUDY", "comparison"),
        ("PRIOR EXAMS", "comparison"),
        ("FINDINGS", "findings"),
        ("FINDING", "findings"),
        ("REPORT", "findings"),
        ("DESCRIPTION", "findings"),
        ("FINDING(S)", "findings"),
        ("IMPRESSION", "impression"),
        ("CONCLUSION", "impression"),
        ("CONCLUSIONS", "impression"),
        ("OPINION", "impression"),
        ("SUMMARY", "impression"),
        ("ASSESSMENT", "impression"),
        ("DIAGNOSIS", "impression"),
        ("IMPRESSIONS", "impression"),
    ],
)
def test_alias_goes_to_its_section(header: str, section: str) -> None:
    anchor = "IMPRESSION: Stable." if section == "findings" else "FINDINGS: Stable lungs."
    text = f"{header}: Synthetic text here.\n{anchor}\n"
    result = SPLIT(text)
    assert result.sections[section] == "Synthetic text here."
    assert result.confidence >= 0.9


@pytest.mark.parametrize("header", ["FINDINGS:", "Findings:", "findings:", "FiNdInGs:"])
def test_header_case_does_not_matter(header: str) -> None:
    result = SPLIT(f"{header} Lungs clear.\nIMPRESSION: Normal.")
    assert result.sections["findings"] == "Lungs clear."


@pytest.mark.parametrize(
    "text",
    [
        "Findings - Lungs clear.\nImpression - Normal.",
        "FINDINGS -\nLungs clear.\nIMPRESSION \u2013 Normal.",
        "Findings\nLungs clear.\nImpression\nNormal.",
        "FINDINGS :  Lungs clear.\nIMPRESSION:Normal.",
    ],
)
def test_dash_colon_and_bare_header_styles(text: str) -> None:
    result = SPLIT(text)
    assert result.sections["findings"] == "Lungs clear."
    assert result.sections["impression"] == "Normal."


def test_sections_in_any_order() -> None:
    text = (
        "IMPRESSION: No acute process.\nFINDINGS: Clear lungs.\n"
        "COMPARISON: Radiograph from last year.\nINDICATION: Fever.\n"
    )
    result = SPLIT(text)
    assert result.sections == {
        "indication": "Fever.",
        "comparison": "Radiograph from last year.",
        "findings": "Clear lungs.",
        "impression": "No acute process.",
    }
    assert result.confidence >= 0.9


def test_inline_header_after_sentence_end() -> None:
    result = SPLIT("FINDINGS: Lungs are clear. IMPRESSION: Normal chest.")
    assert result.sections["findings"] == "Lungs are clear."
    assert result.sections["impression"] == "Normal chest."


def test_capitalised_headers_on_one_line_without_punctuation() -> None:
    result = SPLIT("INDICATION: Chest pain COMPARISON: None FINDINGS: Clear IMPRESSION: Normal")
    assert result.sections == {
        "indication": "Chest pain",
        "comparison": "None",
        "findings": "Clear",
        "impression": "Normal",
    }


@pytest.mark.parametrize(
    "text",
    [
        (
            "FINDINGS: No comparison is available. History of smoking is noted.\n"
            "These findings are stable. Prior exam not seen.\nIMPRESSION: Stable."
        ),
        (
            "FINDINGS: Lungs clear.\nHistory of asthma reported by the patient.\n"
            "Comparison with old films was not possible.\nIMPRESSION: Stable."
        ),
        ("FINDINGS: The overall impression: mild edema. Summary of prior\nreport unavailable.\nIMPRESSION: Stable."),
    ],
)
def test_header_words_inside_prose_do_not_split(text: str) -> None:
    result = SPLIT(text)
    assert result.sections["findings"] == text.split("\nIMPRESSION")[0].removeprefix("FINDINGS: ")
    assert result.sections["indication"] is None
    assert result.sections["comparison"] is None
    assert result.sections["impression"] == "Stable."


def test_headerless_report_gives_nothing_and_zero_confidence() -> None:
    text = "The lungs are clear. There is no history of trauma.\n\nNo acute disease."
    result = SPLIT(text)
    assert result.sections == dict.fromkeys(SECTION_NAMES)
    assert result.confidence == 0.0
    assert result.reasons == ("no_headers",)


def test_empty_text() -> None:
    result = SPLIT("")
    assert result.confidence == 0.0
    assert result.reasons == ("no_headers",)


def test_missing_and_empty_sections_are_none_but_none_value_is_kept() -> None:
    text = "INDICATION:\nCOMPARISON: None.\nFINDINGS:\n\nIMPRESSION: Normal."
    result = SPLIT(text)
    assert result.sections == {
        "indication": None,
        "comparison": "None.",
        "findings": None,
        "impression": "Normal.",
    }
    assert result.spans["indication"] is None
    assert result.confidence >= 0.9


def test_absent_section_is_none() -> None:
    result = SPLIT("FINDINGS: Clear.\nIMPRESSION: Normal.")
    assert result.sections["indication"] is None
    assert result.sections["comparison"] is None
    assert result.confidence >= 0.9


@pytest.mark.parametrize(
    "extra",
    [
        "TECHNIQUE: PA and lateral views.",
        "EXAM: Chest two views.",
        "EXAMINATION: Chest radiograph.",
        "PROCEDURE: Chest X-ray.",
        "STUDY: Chest.",
        "TYPE OF EXAM: Chest 2V.",
        "VIEWS: Frontal and lateral.",
        "DATE: 01/02/2003.",
        "TIME: 10:15.",
        "DATE/TIME: 01/02/2003 10:15.",
        "Technique -\nSingle AP view.",
    ],
)
def test_other_sections_are_excluded(extra: str) -> None:
    text = f"INDICATION: Cough.\n{extra}\nFINDINGS: Clear.\nIMPRESSION: Normal."
    result = SPLIT(text)
    assert result.sections["indication"] == "Cough."
    assert result.sections["findings"] == "Clear."
    assert result.confidence >= 0.9


def test_exam_title_line_keeps_confidence_but_prose_before_headers_lowers_it() -> None:
    titled = SPLIT("CHEST PA AND LATERAL 01/02/2003\nFINDINGS: Clear.\nIMPRESSION: Normal.")
    assert titled.confidence >= 0.9
    prose = SPLIT("Patient seen today, doing well.\nFINDINGS: Clear.\nIMPRESSION: Normal.")
    assert prose.confidence < 0.9
    assert "preamble_text" in prose.reasons
    assert prose.sections["findings"] == "Clear."


@pytest.mark.parametrize(
    "signature",
    [
        "Electronically signed by: Dr. Jane Doe, MD on 01/02/2003",
        "Signed by Dr. Jane Doe",
        "Dictated by: Jane Doe\nTranscribed by: JD",
        "I have personally reviewed the images and agree with the report.",
        "Attending radiologist: Jane Doe, MD",
        "Radiologist: Jane Doe",
        "Workstation: RAD-01",
    ],
)
def test_signature_block_is_cut_from_last_section(signature: str) -> None:
    text = f"FINDINGS: Clear.\nIMPRESSION: Normal chest.\n\n{signature}\n"
    result = SPLIT(text)
    assert result.sections["impression"] == "Normal chest."
    assert result.confidence >= 0.9


def test_signature_after_sentence_end_on_same_line() -> None:
    result = SPLIT("FINDINGS: Clear.\nIMPRESSION: Normal. Electronically signed by Dr. Roe.")
    assert result.sections["impression"] == "Normal."


def test_recommendation_after_impression_belongs_to_impression() -> None:
    text = "FINDINGS: Nodule.\nIMPRESSION: Nodule.\nRECOMMENDATION: CT in 3 months."
    result = SPLIT(text)
    assert result.sections["impression"] == "Nodule.\nRECOMMENDATION: CT in 3 months."
    assert result.confidence >= 0.9


def test_detached_recommendation_is_dropped_and_flagged() -> None:
    text = "FINDINGS: Nodule.\nRECOMMENDATIONS: CT.\nCOMPARISON: None.\nIMPRESSION: Nodule."
    result = SPLIT(text)
    assert result.sections["findings"] == "Nodule."
    assert result.sections["impression"] == "Nodule."
    assert "detached_recommendation" in result.reasons


def test_addendum_is_excluded_and_lowers_confidence() -> None:
    result = SPLIT("FINDINGS: Clear.\nIMPRESSION: Normal.\nADDENDUM: Called Dr. Roe.")
    assert result.sections["impression"] == "Normal."
    assert result.confidence < 0.9
    assert "addendum" in result.reasons


def test_crlf_line_endings() -> None:
    text = BASIC.replace("\n", "\r\n")
    result = SPLIT(text)
    assert result.sections == BASIC_SECTIONS
    assert_consistent(text, result)


def test_own_line_headers_with_crlf_and_bare_headers() -> None:
    text = "FINDINGS\r\nClear lungs.\r\n\r\nIMPRESSION\r\nNormal.\r\n"
    result = SPLIT(text)
    assert result.sections["findings"] == "Clear lungs."
    assert result.sections["impression"] == "Normal."


def test_hard_wrapped_section_spans_lines_unchanged() -> None:
    findings = (
        "The cardiomediastinal silhouette is within normal\n"
        "limits. No focal consolidation, pleural effusion or\n"
        "pneumothorax. Osseous structures are intact."
    )
    text = f"FINDINGS:\n{findings}\n\nIMPRESSION:\nNo acute\ndisease."
    result = SPLIT(text)
    assert result.sections["findings"] == findings
    assert result.sections["impression"] == "No acute\ndisease."


def test_all_caps_report() -> None:
    text = BASIC.upper()
    result = SPLIT(text)
    assert result.sections == {k: v.upper() for k, v in BASIC_SECTIONS.items()}
    assert result.confidence >= 0.9


def test_non_adjacent_duplicate_keeps_first_and_lowers_confidence() -> None:
    text = "FINDINGS: First.\nIMPRESSION: Normal.\nFINDINGS: Second."
    result = SPLIT(text)
    assert result.sections["findings"] == "First."
    assert result.confidence < 0.9
    assert "duplicate_header:findings" in result.reasons


def test_adjacent_duplicates_merge_into_one_span() -> None:
    text = "INDICATION:\nINDICATION: Fever. INDICATION: Cough.\nFINDINGS: Clear."
    result = SPLIT(text)
    assert result.sections["indication"] == "Fever. INDICATION: Cough."
    assert result.confidence < 0.9
    assert "duplicate_header:indication" in result.reasons


def test_no_findings_or_impression_header_lowers_confidence() -> None:
    result = SPLIT("INDICATION: Cough.\nCOMPARISON: None.")
    assert result.sections["indication"] == "Cough."
    assert result.confidence < 0.9
    assert "no_findings_or_impression" in result.reasons


def test_combined_header_goes_to_first_section() -> None:
    result = SPLIT("INDICATION: Cough.\nFINDINGS/IMPRESSION: Clear lungs.")
    assert result.sections["findings"] == "Clear lungs."
    assert result.sections["impression"] is None
    assert "combined_header" in result.reasons


def test_impression_and_recommendations_header_is_impression() -> None:
    result = SPLIT("FINDINGS: Nodule.\nIMPRESSION AND RECOMMENDATIONS: CT.")
    assert result.sections["impression"] == "CT."
    assert result.reasons == ()


def test_unknown_header_is_flagged_but_anatomy_subheadings_are_not() -> None:
    anatomy = SPLIT("FINDINGS:\nLUNGS: Clear.\nHEART: Normal.\nIMPRESSION: Normal.")
    assert anatomy.sections["findings"] == "LUNGS: Clear.\nHEART: Normal."
    assert anatomy.reasons == ()
    unknown = SPLIT("FINDINGS: Clear.\nWEIRD LABEL: Something.\nIMPRESSION: Normal.")
    assert unknown.sections["findings"] == "Clear.\nWEIRD LABEL: Something."
    assert "unknown_header" in unknown.reasons
    assert unknown.confidence < 0.9


def test_reasons_never_contain_report_text() -> None:
    text = "Patient John Smithers, MRN 12345.\nFINDINGS: A.\nIMPRESSION: B.\nFINDINGS: C."
    result = SPLIT(text)
    assert result.reasons
    assert all("smithers" not in r.lower() and "12345" not in r for r in result.reasons)
    assert_consistent(text, result)


# -- properties -------------------------------------------------------------------

WORDS = st.sampled_from(
    ["lungs", "clear", "heart", "normal", "size", "no", "effusion", "stable", "the", "mild"]
    + ["opacity", "left", "base", "2.5", "cm", "none", "(stable)", "x-ray", "prior", "history"]
)
SENTENCE = st.lists(WORDS, min_size=1, max_size=8).map(lambda w: " ".join(w).capitalize() + ".")
HEADER_STYLES = ("{h}: {b}", "{h}:\n{b}", "{h}\n{b}", "{h} - {b}", "{h} -\n{b}")
SOUP = st.sampled_from(
    ["FINDINGS:", "IMPRESSION", "History:", "TECHNIQUE:", "Signed by", "LUNGS:", "prior", "A/B:"]
    + ["Comparison -", ".", " ", "\n", "\r\n", "\r", "\t", "clear", "None.", "REPORT", ": ", "-"]
    + ["FINDINGS/IMPRESSION:", "RECOMMENDATION:", "Électronique", "I have personally reviewed"]
)


@st.composite
def reports(draw: st.DrawFn) -> tuple[str, dict[str, str | None]]:
    """A report with random sections, order, header style, case and line ending."""
    names = draw(st.permutations(SECTION_NAMES))
    present = [name for name in names if draw(st.booleans())] or ["impression"]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    case = draw(st.sampled_from([str.upper, str.title, str.lower]))
    gold: dict[str, str | None] = dict.fromkeys(SECTION_NAMES)
    blocks = []
    for name in present:
        body = draw(st.sampled_from([" ", "\n"])).join(draw(st.lists(SENTENCE, min_size=1, max_size=4)))
        gold[name] = body.replace("\n", newline)
        blocks.append(draw(st.sampled_from(HEADER_STYLES)).format(h=case(name), b=body))
    text = draw(st.sampled_from(["\n", "\n\n"])).join(blocks).replace("\n", newline)
    return text, gold


@given(reports())
@settings(max_examples=300, deadline=None)
def test_generated_reports_round_trip(report: tuple[str, dict[str, str | None]]) -> None:
    text, gold = report
    result = SPLIT(text)
    assert result.sections == gold
    assert_consistent(text, result)
    assert (result.confidence >= 0.9) == bool(gold["findings"] or gold["impression"])


@given(st.one_of(st.text(max_size=300), st.lists(SOUP, max_size=40).map("".join)))
@settings(max_examples=500, deadline=None)
def test_any_text_keeps_the_contract(text: str) -> None:
    assert_consistent(text, SPLIT(text))
