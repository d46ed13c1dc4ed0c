import importlib.util
from importlib import resources
from pathlib import Path

import pytest

from service.deid import patterns
from service.deid.places import cities, gazetteer
from service.deid.spans import EntityType


def _found(text: str) -> list[str]:
    return [text[s.start : s.end] for s in cities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patient was transferred from Terre Haute this morning.", ["Terre Haute"]),
        ("REFERRED FROM SAN DIEGO FOR SURGERY", ["SAN DIEGO"]),
        ("Her son drove up from St. Louis.", ["St. Louis"]),
        ("Outside films from Winston-Salem reviewed.", ["Winston-Salem"]),
        ("She lives in Catonsville with her sister.", ["Catonsville"]),
        ("Husband will drive back to Baltimore tonight.", ["Baltimore"]),
        ("Husband will talk to Baltimore team.", []),  # "to" alone is no locative
        ("Husband lives in Baltimore.", ["Baltimore"]),
        ("Wife was visiting from Towson last week.", ["Towson"]),
        ("Discussed with family, who live in pikesville.", ["pikesville"]),
        ("PT LIVES IN TOWSON WITH WIFE", ["TOWSON"]),
        ("Films were sent to Fort Wayne for review", ["Fort Wayne"]),
    ],
)
def test_cities_found(text: str, expected: list[str]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The lungs are clear. Heart size is normal.",  # "Clear", "Normal" are town names too
        "Normal heart size. Clear lungs. Mobile loop of bowel.",
        "Kerley B lines. Foley catheter in place. Swan-Ganz catheter tip in the right pulmonary artery.",
        "LUNGS: CLEAR. HEART: NORMAL. IMPRESSION: NO ACUTE DISEASE.",
        "Patient lives in Virginia and was seen in Texas.",  # states are kept
        "Transferred to ICU. Admitted from OR. Seen at bedside.",
        "Moved to chair, lines in place, drain at the site.",
        "Aline placed in the left radial artery; aline site clean.",
    ],
)
def test_clinical_text_is_left_alone(text: str) -> None:
    assert _found(text) == []


def test_common_word_city_needs_a_locative_context() -> None:
    assert _found("Reviewed by Dr. Smith with Baltimore team.") == []
    assert _found("came in from Baltimore by ambulance") == ["Baltimore"]


def test_lower_case_city_needs_context_and_rarity() -> None:
    assert _found("catonsville") == []
    assert _found("husband lives in catonsville") == ["catonsville"]
    assert _found("pain in clear fluid") == []


def test_spans_are_locations_and_the_recognizer_is_registered() -> None:
    spans = cities("Seen in clinic after moving from Terre Haute.")
    assert [s.entity_type for s in spans] == [EntityType.LOCATION]
    assert cities in patterns.PATTERN_RECOGNIZERS


def test_gazetteer_is_lower_case_and_leaves_out_states_and_keep_words() -> None:
    gaz = gazetteer()
    assert "catonsville" in gaz.single and "terre haute" in gaz.multi and "winston salem" in gaz.multi
    assert "washington" not in gaz.single and "new york" not in gaz.multi
    assert "kerley" not in gaz.single and "quinton" not in gaz.single
    assert all(name == name.lower() for name in gaz.single)


def test_the_city_list_names_its_source() -> None:
    header = resources.files("service.deid").joinpath("data/us_cities.txt").read_text("utf-8")[:400]
    assert "zipcodes" in header and "MIT" in header


def test_build_script_filters_records() -> None:
    path = Path(__file__).resolve().parents[2] / "scripts" / "build_city_list.py"
    spec = importlib.util.spec_from_file_location("build_city_list", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    records = [
        {"city": "Terre Haute", "country": "US", "zip_code_type": "STANDARD"},
        {"city": "Terre Haute", "country": "US", "zip_code_type": "PO BOX"},
        {"city": "Apo", "country": "US", "zip_code_type": "MILITARY"},
        {"city": "Washington", "country": "US", "zip_code_type": "STANDARD"},
        {"city": "Mexico", "country": "US", "zip_code_type": "STANDARD"},
        {"city": "Wilkes Barre Pa S&Dc", "country": "US", "zip_code_type": "UNIQUE"},
        {"city": "Ramstein", "country": "DE", "zip_code_type": "MILITARY"},
        {"city": "Winston-Salem", "country": "US", "zip_code_type": "STANDARD"},
    ]
    assert module.city_names(records) == ["terre haute", "winston-salem"]


def test_generic_place_words_widen_a_city_in_its_case() -> None:
    assert _found("FOUND IN HIS HOME IN MILFORD MILL BY EMS") == ["MILFORD MILL"]
    assert _found("moved from Towson Heights last year") == ["Towson Heights"]
    assert _found("came from Towson park area") == ["Towson"]


def test_a_city_that_is_also_a_clinical_word_counts_after_a_residence_cue() -> None:
    assert _found("BROTHER LIVES IN HAMPTON, (PHONE ON CHART)") == ["HAMPTON"]
    assert _found("both live in hampton,ma in the summer") == ["hampton"]
    assert _found("Hampton hump in the right lower lobe.") == []
