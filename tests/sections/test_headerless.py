from service.sections.headerless import (
    CONFIDENCE,
    REPAIR_CONFIDENCE,
    heuristic_units,
    rules_or_heuristic,
    split_headerless,
)
from service.sections.rules import RulesSectioner

PARAGRAPHS = (
    "72-year-old woman with cough and fever.\n\nComparison with the prior radiograph from last year.\n\n"
    "The heart is normal in size. Patchy opacity in the right lower lobe. No pleural effusion.\n\n"
    "Right lower lobe pneumonia."
)


def test_paragraphs_of_a_headerless_report_become_the_four_sections() -> None:
    result = split_headerless(PARAGRAPHS)
    assert result.sections == {
        "indication": "72-year-old woman with cough and fever.",
        "comparison": "Comparison with the prior radiograph from last year.",
        "findings": "The heart is normal in size. Patchy opacity in the right lower lobe. No pleural effusion.",
        "impression": "Right lower lobe pneumonia.",
    }
    assert result.confidence == CONFIDENCE and "no_headers" in result.reasons
    for name, span in result.spans.items():
        assert span is None or PARAGRAPHS[span[0] : span[1]] == result.sections[name]


def test_a_single_paragraph_is_split_by_cues() -> None:
    text = "Shortness of breath. The lungs are clear. The heart size is normal. No acute cardiopulmonary disease."
    result = split_headerless(text)
    assert result.sections["indication"] == "Shortness of breath."
    assert result.sections["impression"] == "No acute cardiopulmonary disease."
    assert result.sections["findings"] == "The lungs are clear. The heart size is normal."
    assert result.sections["comparison"] is None


def test_headered_reports_keep_the_rules_and_empty_text_gives_nothing() -> None:
    headered = rules_or_heuristic("FINDINGS: Clear.\nIMPRESSION: Normal.")
    assert headered.confidence >= 0.9 and headered.sections["impression"] == "Normal."
    assert split_headerless("   ").sections == dict.fromkeys(("indication", "comparison", "findings", "impression"))


def test_a_signature_block_and_field_lines_do_not_count_as_headers() -> None:
    text = ("Ordering physician: Dr. Lena Park\n\n"
            "Chest pain.\n\nThe lungs are clear. No pleural effusion or pneumothorax.\n\n"
            "No acute cardiopulmonary disease.\n"
            "Electronically signed by: Dr. Omar Haddad on 03/02/2021")
    sections = rules_or_heuristic(text).sections
    assert sections["indication"] == "Chest pain."
    assert sections["findings"] == "The lungs are clear. No pleural effusion or pneumothorax."
    assert sections["impression"] == "No acute cardiopulmonary disease."
    assert not any("Haddad" in s or "Park" in s for s in sections.values() if s)


def test_a_title_and_signature_alone_give_no_sections() -> None:
    text = "Xray Chest PA and Lateral\n\nDictated by: B. Sample, MD\nTranscribed by: CD"
    assert all(section is None for section in rules_or_heuristic(text).sections.values())


def test_sentences_of_unlabelled_sections_are_labelled_again_after_a_check_fails() -> None:
    text = ("CHEST PA/LAT. Reason: fever and cough. No prior. The lungs are clear. The heart size is normal. "
            "No pleural effusion. IMPRESSION: No acute disease.")
    result = rules_or_heuristic(text)
    assert result.sections == {
        "indication": "fever and cough.", "comparison": "No prior.",
        "findings": "The lungs are clear. The heart size is normal. No pleural effusion.",
        "impression": "No acute disease.",
    }
    assert "findings_in_indication" in result.reasons and "heuristic_repair" in result.reasons
    assert result.confidence <= REPAIR_CONFIDENCE


def test_a_repair_keeps_sections_found_by_their_headers_and_their_order() -> None:
    shuffled = "IMPRESSION: Normal. Reason: cough. The lungs are clear. The heart is normal."
    result = rules_or_heuristic(shuffled)
    assert "heuristic_repair" not in result.reasons and result.sections["impression"] == "Normal."
    headed = rules_or_heuristic("Reason: cough. The lungs are clear. The heart is normal. FINDINGS: Clear.")
    assert "heuristic_repair" not in headed.reasons and headed.sections["findings"] == "Clear."


def test_a_long_run_of_dates_that_is_no_date_line_is_split_in_linear_time() -> None:
    """A unit of 40 dates ending in a broken one made the date-only pattern try every way of splitting
    the run (2**40 ways): it must come back at once. Run in a subprocess so that a regression fails the
    test at its timeout instead of hanging the suite."""
    import subprocess
    import sys

    code = ("from service.sections.headerless import rules_or_heuristic; "
            "r = rules_or_heuristic('Cough. ' + '1/2/1990 ' * 40 + '1/'); print(r.sections['findings'] is not None)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("True", "False")


def test_a_flattened_report_is_cut_where_its_punctuation_was_lost_but_a_title_is_not() -> None:
    text = "Cough and fever None The lungs are clear. No pleural effusion. No acute cardiopulmonary disease."
    assert [text[u.start : u.end] for u in heuristic_units(text)] == [
        "Cough and fever", "None", "The lungs are clear.", "No pleural effusion.", "No acute cardiopulmonary disease."]
    assert rules_or_heuristic(text).sections == {
        "indication": "Cough and fever", "comparison": "None",
        "findings": "The lungs are clear. No pleural effusion.", "impression": "No acute cardiopulmonary disease."}
    assert len(heuristic_units("Xray Chest PA and Lateral")) == 1


def test_the_repair_cuts_a_run_on_indication_at_a_lost_sentence_end() -> None:
    result = rules_or_heuristic("Reason: chest pain XXXX The heart is normal. The lungs are clear. IMPRESSION: Normal.")
    assert result.sections["indication"] == "chest pain XXXX"
    assert result.sections["findings"] == "The heart is normal. The lungs are clear."


def test_prose_before_the_first_header_goes_to_the_sections_before_it_instead_of_being_dropped() -> None:
    text = ("Chest pain and shortness of breath. The heart is normal in size. The lungs are clear.\n"
            "IMPRESSION: No acute cardiopulmonary disease.")
    assert RulesSectioner().split(text).sections["findings"] is None  # the rules alone drop the findings
    result = rules_or_heuristic(text)
    assert "preamble_text" in result.reasons and "heuristic_repair" in result.reasons
    assert result.confidence <= REPAIR_CONFIDENCE
    assert result.sections == {"indication": "Chest pain and shortness of breath.", "comparison": None,
                               "findings": "The heart is normal in size. The lungs are clear.",
                               "impression": "No acute cardiopulmonary disease."}


def test_prose_before_the_first_header_never_goes_to_that_header_s_section_or_a_later_one() -> None:
    text = "Fever. Comparison with the prior study. The lungs are clear.\nFINDINGS: No effusion.\nIMPRESSION: Normal."
    result = rules_or_heuristic(text)
    assert result.sections["findings"] == "No effusion." and result.sections["impression"] == "Normal."
    assert result.sections["indication"] is not None and result.sections["indication"].startswith("Fever.")
