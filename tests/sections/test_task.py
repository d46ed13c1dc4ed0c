import json
import re

import pytest

from service.backends import Completion, Constraints
from service.errors import ConfigError, SectionValidationError
from service.sections.router import CONFIDENT
from service.sections.rules import RulesSectioner
from service.sections.task import SectionTask, label_pattern, labels_answer, response_schema, tag_pattern, tags_answer

REPORT = (
    "EXAM: CHEST\nINDICATION: Cough. Fever.\nFINDINGS: The lungs are clear.  No effusion.\nIMPRESSION:\n"
    "1. Normal.\nSigned by: Dr. X"
)
# units: [1] EXAM: CHEST [2] INDICATION: Cough. [3] Fever. [4] FINDINGS: The lungs are clear. [5] No effusion.
#        [6] IMPRESSION: [7] 1. Normal. [8] Signed by: Dr. X
GOOD = {"indication": [2, 3], "comparison": [], "findings": [4, 5], "impression": [6, 7]}
EXPECTED = {"indication": "Cough. Fever.", "comparison": None, "findings": "The lungs are clear.  No effusion.",
            "impression": "1. Normal."}


def test_spans_answers_become_verbatim_sections_without_headers() -> None:
    result = SectionTask().parse(REPORT, json.dumps(GOOD))
    assert result.sections == EXPECTED
    for name, span in result.spans.items():
        assert span is None or REPORT[span[0] : span[1]] == result.sections[name]
    assert result.reasons == ("llm",)


def test_single_numbers_and_explicit_runs_are_accepted() -> None:
    answer = {"indication": [2, 3], "comparison": [], "findings": [4, 5], "impression": [7]}
    assert SectionTask().parse(REPORT, json.dumps(answer)).sections["impression"] == "1. Normal."
    answer["findings"] = [4, 5]
    answer["indication"] = [2, 3]
    assert SectionTask().parse(REPORT, json.dumps({**answer, "impression": [6, 7]})).sections == EXPECTED


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("not json", "not_json"),
        ('{"indication": []}', "wrong_keys"),
        (json.dumps({**GOOD, "extra": []}), "wrong_keys"),
        (json.dumps({**GOOD, "findings": "4-5"}), "wrong_type"),
        (json.dumps({**GOOD, "findings": [4, 9]}), "unit_out_of_range"),
        (json.dumps({**GOOD, "findings": [5, 4]}), "unit_out_of_range"),
        (json.dumps({**GOOD, "findings": [0, 1]}), "unit_out_of_range"),
        (json.dumps({**GOOD, "findings": [2, 4, 5]}), "not_contiguous"),
        (json.dumps({**GOOD, "indication": [2, 4]}), "overlap"),
        (json.dumps({**GOOD, "findings": [4, 7], "impression": []}), "contains_other_header"),
    ],
)
def test_invalid_spans_answers_are_rejected_with_a_reason(reply: str, reason: str) -> None:
    with pytest.raises(SectionValidationError) as info:
        SectionTask().parse(REPORT, reply)
    assert info.value.reason == reason


def test_text_answers_must_be_verbatim_after_whitespace_normalisation() -> None:
    task = SectionTask(mode="text")
    answer = {"indication": "Cough. Fever.", "comparison": None, "findings": "The lungs are clear. No effusion.",
              "impression": "IMPRESSION: 1. Normal."}
    assert task.parse(REPORT, json.dumps(answer)).sections == EXPECTED
    for bad, reason in [({**answer, "findings": "The lungs are clear and dry."}, "not_verbatim"),
                        ({**answer, "comparison": "Cough."}, "not_verbatim"),
                        ({**answer, "findings": 3}, "wrong_type")]:
        with pytest.raises(SectionValidationError) as info:
            task.parse(REPORT, json.dumps(bad))
        assert info.value.reason == reason


def test_requests_put_the_shared_instructions_first_and_bound_the_output() -> None:
    one, two = SectionTask().request(REPORT), SectionTask().request("FINDINGS: Clear.")
    assert one.messages[0]["role"] == "system" and one.messages[0] == two.messages[0]
    assert "[8] Signed by: Dr. X" in one.messages[1]["content"]
    assert one.constraints == Constraints(response_schema("spans"), units=8) and one.max_tokens <= 64
    assert one.constraints.schema == response_schema("spans") and one.document == REPORT
    text_request = SectionTask(mode="text").request(REPORT)
    assert REPORT in text_request.messages[1]["content"]
    assert text_request.constraints.schema["properties"]["findings"] == {"type": ["string", "null"]}


def test_an_unknown_prompt_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="sections.spans.v99"):
        SectionTask(prompt_version="v99").request(REPORT)


def test_labels_answers_give_each_unit_to_its_letters_section() -> None:
    task = SectionTask(mode="labels")
    result = task.parse(REPORT, labels_answer("OIIFFMMO"))
    assert result.sections == EXPECTED and result.reasons == ("llm",)
    assert json.loads(labels_answer("OIF")) == {"labels": "O I F"}


@pytest.mark.parametrize(
    ("labels", "reason"),
    [("O I I F F M M", "wrong_unit_count"), ("O I I F F M M O O", "wrong_unit_count"),
     ("O I X F F M M O", "unknown_label"), ("O I F I F M M O", "not_contiguous"), (3, "wrong_type")],
)
def test_labels_answers_that_cannot_be_a_sectioning_are_rejected(labels: object, reason: str) -> None:
    with pytest.raises(SectionValidationError) as info:
        SectionTask(mode="labels").parse(REPORT, json.dumps({"labels": labels}))
    assert info.value.reason == reason
    with pytest.raises(SectionValidationError, match="wrong_keys"):
        SectionTask(mode="labels").parse(REPORT, json.dumps({"findings": [4, 5]}))


def test_labels_requests_hold_the_answer_to_one_letter_per_unit() -> None:
    request = SectionTask(mode="labels").request(REPORT)
    pattern = request.constraints.schema["properties"]["labels"]["pattern"]
    assert pattern == label_pattern(8) and request.constraints.units == 8
    assert re.fullmatch(pattern, "O I I F F M M O") and not re.fullmatch(pattern, "O I I F F M M")
    assert not re.fullmatch(pattern, "OIIFFMMO") and not re.fullmatch(pattern, "O I I F F M M Q")
    assert request.max_tokens <= 40 and "[8] Signed by: Dr. X" in request.messages[1]["content"]
    assert len(request.messages[0]["content"]) < 200  # the short prompt the model was trained on


def test_tags_answers_give_each_numbered_unit_to_its_letters_section() -> None:
    task = SectionTask(mode="tags")
    assert tags_answer("OIIFFMMO") == '{"tags":"1O2I3I4F5F6M7M8O"}'
    result = task.parse(REPORT, tags_answer("OIIFFMMO"))
    assert result.sections == EXPECTED and result.reasons == ("llm",)


@pytest.mark.parametrize(
    ("tags", "reason"),
    [("1O2I3I4F5F6M7M", "wrong_unit_count"), ("1O2I3I4F5F6M7M8O9O", "wrong_unit_count"),
     ("1O2I3I4F5F6M8M7O", "wrong_unit_number"), ("1O2I3X4F5F6M7M8O", "unknown_label"),
     ("1O2I3F4I5F6M7M8O", "not_contiguous"), ("1O2I3I4F5F6M7M8", "not_tags"), ("O I I F F M M O", "not_tags"),
     (["1O"], "wrong_type")],
)
def test_tags_answers_that_cannot_be_a_sectioning_are_rejected(tags: object, reason: str) -> None:
    with pytest.raises(SectionValidationError) as info:
        SectionTask(mode="tags").parse(REPORT, json.dumps({"tags": tags}))
    assert info.value.reason == reason
    with pytest.raises(SectionValidationError, match="wrong_keys"):
        SectionTask(mode="tags").parse(REPORT, labels_answer("OIIFFMMO"))


def test_tags_requests_fix_the_unit_numbers_and_leave_one_letter_each_to_the_model() -> None:
    request = SectionTask(mode="tags").request(REPORT)
    pattern = request.constraints.schema["properties"]["tags"]["pattern"]
    assert pattern == tag_pattern(8) and request.constraints.units == 8
    assert re.fullmatch(pattern, "1O2I3I4F5F6M7M8O") and not re.fullmatch(pattern, "1O2I3I4F5F6M7M")
    assert not re.fullmatch(pattern, "1O2I3I4F5F6M8M7O") and not re.fullmatch(pattern, "1O2I3I4F5F6M7M8Q")
    assert re.fullmatch(tag_pattern(12), "".join(f"{n}F" for n in range(1, 13)))
    assert request.max_tokens >= 3 * 8 and "[8] Signed by: Dr. X" in request.messages[1]["content"]
    assert len(request.messages[0]["content"]) < 250  # the short prompt the model was trained on


def test_the_tags_prompt_keeps_the_reports_blank_lines_between_units() -> None:
    text = "Cough.\n\nLungs clear. No effusion.\n \nNormal chest."
    shown = SectionTask(mode="tags").request(text).messages[1]["content"]
    assert shown.split("\n") == ["[1] Cough.", "", "[2] Lungs clear.", "[3] No effusion.", "", "[4] Normal chest."]
    assert "\n\n" not in SectionTask(mode="spans", prompt_version="v2").request(text).messages[1]["content"]


HEADERLESS = "Cough in a smoker.\n\nThe lungs are clear. No effusion.\n\nNo acute disease."
# units: [1] Cough in a smoker. [2] The lungs are clear. [3] No effusion. [4] No acute disease.


def _steps(*rows: dict[str, float]) -> list[dict[str, float]]:
    return list(rows)


def test_a_joint_decode_settles_the_letters_the_model_is_unsure_of_in_report_order() -> None:
    # The model wrote I F I M (no sectioning: indication twice), unsure of unit 3 (I 0.55, F 0.45).
    reply = Completion(tags_answer("IFIM"), _steps(
        {"I": -0.01, "F": -5.0}, {"F": -0.02, "I": -4.0}, {"I": -0.6, "F": -0.8}, {"M": -0.05, "F": -3.0}))
    with pytest.raises(SectionValidationError, match="not_contiguous"):
        SectionTask(mode="tags").parse(HEADERLESS, reply)  # without a joint weight: the letters as written
    result = SectionTask(mode="tags", joint_weight=64).parse(HEADERLESS, reply)
    assert result.sections == {"indication": "Cough in a smoker.", "comparison": None,
                               "findings": "The lungs are clear. No effusion.", "impression": "No acute disease."}
    assert result.reasons == ("llm", "joint_decode")


def test_a_joint_decode_follows_a_confident_model_against_the_heuristic() -> None:
    # Every unit's letter sure: the model's labelling wins, whatever the cue words say.
    sure = [{letter: 0.0} for letter in "IIFM"]  # a missing letter counts as very unlikely
    result = SectionTask(mode="tags", joint_weight=64).parse(HEADERLESS, Completion(tags_answer("IIFM"), sure))
    assert result.sections["indication"] == "Cough in a smoker.\n\nThe lungs are clear."
    assert result.sections["findings"] == "No effusion." and result.sections["impression"] == "No acute disease."


def test_without_every_units_log_probabilities_the_letters_are_read_as_written() -> None:
    task = SectionTask(mode="tags", joint_weight=64)
    short = Completion(tags_answer("IFFM"), [{"I": 0.0}, {"F": 0.0}])  # fewer steps than letters
    assert task.parse(HEADERLESS, short).reasons == ("llm",)
    assert task.parse(HEADERLESS, tags_answer("IFFM")).reasons == ("llm",)  # a plain string (OpenAI backend)


def test_only_a_tags_task_with_a_joint_weight_asks_for_letter_log_probabilities() -> None:
    assert SectionTask(mode="tags", joint_weight=64).request(HEADERLESS).scored == "ICFMO"
    assert SectionTask(mode="tags").request(HEADERLESS).scored == ""
    assert SectionTask(mode="spans", joint_weight=64).request(HEADERLESS).scored == ""
    reply = Completion('{"tags":"1I"}', [{"I": -0.1}])
    assert isinstance(reply, str) and json.loads(reply) == {"tags": "1I"} and reply.letter_logprobs == ({"I": -0.1},)


def test_a_joint_decode_keeps_the_sections_the_headers_found() -> None:
    text = "INDICATION: Cough.\nFINDINGS: The lungs are clear. No effusion.\nIMPRESSION: Normal chest."
    task = SectionTask(mode="tags", joint_weight=16)
    assert len(task.units(text)) == 4
    sure = [{letter: 0.0} for letter in "IIFM"]  # the model is sure that FINDINGS' first sentence is indication
    result = task.parse(text, Completion(tags_answer("IIFM"), sure))
    assert result.sections == {"indication": "Cough.", "comparison": None,
                               "findings": "The lungs are clear. No effusion.", "impression": "Normal chest."}


def test_where_the_rules_are_confident_a_joint_decode_moves_no_sentence_to_a_section_left_out() -> None:
    text = "INDICATION: Cough. Fever for two days.\nFINDINGS: The lungs are clear.\nIMPRESSION: Normal chest."
    assert RulesSectioner().split(text).confidence >= CONFIDENT  # every check passed
    sure = [{letter: 0.0} for letter in "ICFM"]  # the model is sure the second sentence is a comparison
    result = SectionTask(mode="tags", joint_weight=16).parse(text, Completion(tags_answer("ICFM"), sure))
    assert result.sections == {"indication": "Cough. Fever for two days.", "comparison": None,
                               "findings": "The lungs are clear.", "impression": "Normal chest."}


def test_where_the_rules_doubt_only_a_date_the_joint_decode_keeps_their_sections_as_their_repair_does() -> None:
    text = "INDICATION: Cough. XXXX XXXX. IMPRESSION: No acute disease."
    found = RulesSectioner().split(text)
    assert found.reasons == ("date_after_indication",) and found.confidence < CONFIDENT  # unsure, not repairable
    sure = [{letter: 0.0} for letter in "ICM"]  # the model is sure the placeholders are a comparison
    result = SectionTask(mode="tags", joint_weight=16).parse(text, Completion(tags_answer("ICM"), sure))
    assert result.sections == found.sections
    assert result.sections["comparison"] is None
    assert result.reasons == ("llm", "headers_kept")


def test_a_joint_decode_gives_prose_before_the_first_header_only_to_the_sections_before_it() -> None:
    text = "Cough and fever for two weeks. A smoker.\nFINDINGS: No effusion.\nIMPRESSION: Normal."
    task = SectionTask(mode="tags", joint_weight=16)
    assert len(task.units(text)) == 4
    sure = [{letter: 0.0} for letter in "MMFM"]  # the model is sure the preamble is the impression
    result = task.parse(text, Completion(tags_answer("MMFM"), sure))
    assert result.reasons == ("llm", "joint_decode")
    assert result.sections["findings"] == "No effusion." and result.sections["impression"] == "Normal."
    assert "Cough" in (result.sections["indication"] or "") + (result.sections["comparison"] or "")


def test_a_joint_decode_gives_the_sentences_after_a_short_label_to_the_sections_it_left_out() -> None:
    text = "Reason: fever. No prior. Lungs are clear. IMPRESSION: Normal."
    task = SectionTask(mode="tags", joint_weight=16)
    sure = [{letter: 0.0} for letter in "ICFM"]
    result = task.parse(text, Completion(tags_answer("ICFM"), sure))
    assert result.sections == {"indication": "fever.", "comparison": "No prior.", "findings": "Lungs are clear.",
                               "impression": "Normal."}


def test_with_a_joint_decode_the_prompt_numbers_the_heuristics_units() -> None:
    text = "Reason: cough None available The lungs are clear. IMPRESSION: Normal."
    assert len(SectionTask(mode="tags").units(text)) == 2
    units = SectionTask(mode="tags", joint_weight=16).units(text)  # cut at the soft breaks too
    assert [text[u.start : u.end] for u in units] == [
        "Reason: cough", "None available", "The lungs are clear.", "IMPRESSION: Normal."]
    request = SectionTask(mode="tags", joint_weight=16).request(text)
    assert request.constraints.units == 4 and "[2] None available" in request.messages[1]["content"]


def test_a_joint_decode_leaves_out_the_signature_block_the_heuristic_leaves_out() -> None:
    text = "Cough.\n\nThe lungs are clear.\n\nElectronically signed by: Dr. A. Example"
    sure = [{letter: 0.0} for letter in "IFM"]  # the model calls the sign-off the impression
    result = SectionTask(mode="tags", joint_weight=16).parse(text, Completion(tags_answer("IFM"), sure))
    assert result.sections == {"indication": "Cough.", "comparison": None, "findings": "The lungs are clear.",
                               "impression": None}
