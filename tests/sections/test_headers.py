"""Tests for the header grammar of service/sections/headers.py and the field vocabulary of fields.py.

All reports here are synthetic.
"""

from __future__ import annotations

import pytest

from service.sections import RulesSectioner
from service.sections.fields import FIELD, STAFF, field_kind
from service.sections.headers import find_headers, name_kinds

SPLIT = RulesSectioner().split


def kinds_of(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(hit.name, hit.kinds) for hit in find_headers(text)]


def test_lower_case_header_at_a_line_start_and_after_a_comma() -> None:
    result = SPLIT("findings: Lungs clear.\nimpression: Normal.")
    assert result.sections["findings"] == "Lungs clear." and result.sections["impression"] == "Normal."
    flat = SPLIT("Chest two views,indication: Cough,findings: ,Lungs clear.,impression: ,Normal.")
    assert flat.sections == {"indication": "Cough", "comparison": None, "findings": "Lungs clear.",
                             "impression": "Normal."}
    assert flat.confidence >= 0.9


def test_flattened_report_with_comma_and_space_separators() -> None:
    text = ("CHEST PA AND LATERAL, INDICATION: , Fever, COMPARISON: None., FINDINGS: , No effusion., "
            "IMPRESSION: , Clear.")
    result = SPLIT(text)
    assert result.sections == {"indication": "Fever", "comparison": "None.", "findings": "No effusion.",
                               "impression": "Clear."}


def test_capitalised_headers_after_a_word_split_but_lower_case_ones_do_not() -> None:
    result = SPLIT("Indication: Seizure Comparison: None Findings: Lungs clear Impression: Normal")
    assert result.sections == {"indication": "Seizure", "comparison": "None", "findings": "Lungs clear",
                               "impression": "Normal"}
    assert name_kinds("Comparison") == ("comparison",)
    prose = find_headers("FINDINGS: The overall impression: mild edema.")
    assert [hit.name for hit in prose] == ["FINDINGS"]


def test_lower_case_names_after_a_word_are_headers_where_the_report_has_headers() -> None:
    """A flattened export with some headers in lower case: each names a section no other header names."""
    text = ("PA and lateral chest INDICATION: chest pain comparisons: None findings: Lungs are clear. "
            "No effusion. impression: Normal chest.")
    result = SPLIT(text)
    assert result.sections == {"indication": "chest pain", "comparison": "None",
                               "findings": "Lungs are clear. No effusion.", "impression": "Normal chest."}
    assert result.confidence >= 0.9 and "weak_header" in result.reasons
    assert [hit.group for hit in find_headers(text)] == ["upper", "weak", "weak", "inline"]
    lower = SPLIT("EXAM: CXR\nindication: cough comparison: 2/3/2020 findings: lungs clear, no effusion "
                  "impression: negative")
    assert lower.sections == {"indication": "cough", "comparison": "2/3/2020",
                              "findings": "lungs clear, no effusion", "impression": "negative"}


@pytest.mark.parametrize("text", [
    # no header by the grammar: nothing vouches for the layout
    "Patient with cough and fever history: asthma. Lungs are clear impression: no pneumonia.",
    # the name is the noun of a phrase
    "FINDINGS: Lungs clear. The overall impression: mild edema.\nCOMPARISON: None.",
    "INDICATION: Her cough. Her history: asthma. FINDINGS: Clear.",
])
def test_lower_case_names_that_read_as_prose_stay_prose(text: str) -> None:
    assert "weak_header" not in SPLIT(text).reasons


def test_a_lower_case_name_of_a_section_the_report_names_already_is_prose() -> None:
    text = ("FINDINGS: Heart normal and the findings are stable compared to prior findings: unchanged. "
            "IMPRESSION: Stable.")
    result = SPLIT(text)
    assert result.sections["findings"] == text.split(" IMPRESSION")[0].removeprefix("FINDINGS: ")
    assert "weak_header" not in result.reasons


def test_short_labels_after_a_capitalised_word_or_a_placeholder() -> None:
    result = SPLIT("CHEST PA/LAT. Hx: Dyspnea Prior: None. Findings: Lungs clear. Imp: Normal.")
    assert result.sections == {"indication": "Dyspnea", "comparison": "None.", "findings": "Lungs clear.",
                               "impression": "Normal."}
    placeholder = SPLIT("Reason: [**Reason**] Prior: None FINDINGS: Clear. IMPRESSION: Normal.")
    assert placeholder.sections["comparison"] == "None"


def test_a_generic_word_after_a_capitalised_word_is_no_header() -> None:
    """"PRIOR STUDY DATE:" is one field label, not a cut at "DATE"; "See prior Report:" is no header."""
    hits = kinds_of("COMPARISON: Chest films.\nPRIOR STUDY DATE: 01/02/2020")
    assert hits == [("COMPARISON", ("comparison",)), ("PRIOR STUDY DATE", ("field",))]
    assert kinds_of("FINDINGS: See the Prior Report: unchanged.") == [("FINDINGS", ("findings",))]


@pytest.mark.parametrize(("misspelt", "kind"), [
    ("IMPRESION", "impression"), ("IMPRESSSION", "impression"), ("FINIDNGS", "findings"), ("FINDNGS", "findings"),
    ("COMPARISION", "comparison"), ("INDICATON", "indication"), ("CLINCAL HISTORY", "indication"),
    ("CONCLUSOIN", "impression"),
])
def test_one_edit_misspellings_of_section_words(misspelt: str, kind: str) -> None:
    assert name_kinds(misspelt) == (kind,)
    anchor = "IMPRESSION: End." if kind == "findings" else "FINDINGS: End."
    assert SPLIT(f"{misspelt}: Synthetic text.\n{anchor}").sections[kind] == "Synthetic text."


def test_labels_by_grammar_a_section_noun_last_or_a_qualified_alias() -> None:
    text = ("HISTORY OF PRESENT ILLNESS: Cough for a week.\nOPERATIVE FINDINGS: Clear lungs.\n"
            "CLINICAL IMPRESSION: Normal.")
    result = SPLIT(text)
    assert result.sections["indication"] == "Cough for a week."
    assert result.sections["findings"] == "Clear lungs." and result.sections["impression"] == "Normal."
    assert SPLIT("REASON FOR CONSULTATION: Chest pain.\nIMPRESSION: Normal.").sections["indication"] == "Chest pain."


@pytest.mark.parametrize(("label", "kind"), [
    ("Date Verified", FIELD), ("Report Status", FIELD), ("Primary Diagnostic Code", FIELD), ("CPT", FIELD),
    ("Accession Number", FIELD), ("Ordering Physician", FIELD), ("Verifier E-Sig", STAFF),
    ("Primary Interpreting Staff", STAFF), ("Heart size", None), ("Lungs", None), ("No", None),
])
def test_field_labels_are_built_from_the_administrative_vocabulary(label: str, kind: str | None) -> None:
    assert field_kind(label) == kind


def test_lenient_field_labels_end_in_a_head_word() -> None:
    assert field_kind("Exm Date") is None and field_kind("Exm Date", lenient=True) == FIELD
    assert field_kind("Img Loc", lenient=True) == FIELD
    assert field_kind("Heart size", lenient=True) is None


def test_field_lines_end_the_section_and_belong_to_none() -> None:
    text = ("Exam date: 02/03/2021\nAccession: A-1234\nClinical History: Fever.\n"
            "Report Status: Final        Date Reported: 02/03/2021\nFINDINGS: Lungs clear.\n"
            "IMPRESSION: Normal chest.\nCPT: 71046\nPrimary Interpreting Staff:\n  Sample Reader, MD\n")
    result = SPLIT(text)
    assert result.sections == {"indication": "Fever.", "comparison": None, "findings": "Lungs clear.",
                               "impression": "Normal chest."}
    assert result.confidence >= 0.9


def test_a_field_after_a_word_needs_two_capitalised_words_or_a_code_label() -> None:
    hits = kinds_of("Status: Final   Date Verified: today (RAD) CPT:71046 normal date: x")
    assert [name for name, _ in hits] == ["Status", "Final   Date Verified", "CPT"]


def test_signature_phrases_and_e_signatures() -> None:
    result = SPLIT("FINDINGS: Clear.\nIMPRESSION: Normal.\n/ES/ A. READER, MD\n")
    assert result.sections["impression"] == "Normal."
    flat = SPLIT("FINDINGS: Clear., IMPRESSION: Normal., Electronically signed by A. Reader")
    assert flat.sections["impression"] == "Normal."


def test_offsets_hold_when_a_letter_lower_cases_to_two() -> None:
    text = "\u0130\u0130 note\nFINDINGS: Clear.\nIMPRESSION: Normal. Electronically signed by A. Reader"
    result = SPLIT(text)
    assert result.sections["impression"] == "Normal."
    assert all(span is None or text[span[0] : span[1]] == result.sections[name] for name, span in result.spans.items())
