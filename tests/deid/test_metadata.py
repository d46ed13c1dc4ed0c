from service.deid.keys import KeyedHasher, PatientContext
from service.deid.metadata import cap_age, deidentify_metadata
from service.deid.surrogates import Surrogates


def test_ages_of_90_and_over_are_capped_in_their_format() -> None:
    assert cap_age("092Y") == ("090Y", True)
    assert cap_age("089Y") == ("089Y", False)
    assert cap_age(95) == (90, True)
    assert cap_age("006M") == ("006M", False)
    assert cap_age(None) == (None, False)


def test_metadata_fields_are_deidentified_with_the_text_keys() -> None:
    surrogates = Surrogates(KeyedHasher(b"k"))
    patient = PatientContext("p", -30)
    meta = {
        "PatientID": "00482913", "AccessionNumber": "A77", "StudyDate": "20200102", "PatientAge": "093Y",
        "InstitutionName": "Riverside Medical Center", "PatientSex": "F", "Manufacturer": "GE", "PatientWeight": 61.5,
    }
    out, warnings = deidentify_metadata(meta, surrogates, patient)
    assert out["PatientID"] == surrogates.identifier("00482913") != "00482913"
    assert out["StudyDate"] == "20191203"
    assert out["PatientAge"] == "090Y"
    assert out["InstitutionName"].endswith("Medical Center") and "Riverside" not in out["InstitutionName"]
    assert (out["PatientSex"], out["Manufacturer"], out["PatientWeight"]) == ("F", "GE", 61.5)
    assert warnings == ["metadata.PatientAge: 90 or over; capped at 90"]


def test_a_study_date_that_is_not_a_date_is_removed_with_a_warning() -> None:
    out, warnings = deidentify_metadata({"StudyDate": "March"}, Surrogates(KeyedHasher(b"k")), PatientContext("p", 3))
    assert out["StudyDate"] is None and warnings == ["metadata.StudyDate: not a YYYYMMDD date; removed"]


def test_one_type_per_field_whatever_the_input_gave() -> None:
    """JSONL may give numbers, CSV gives text, Parquet int64 or double: the output is the same."""
    surrogates, patient = Surrogates(KeyedHasher(b"k")), PatientContext("p", -30)
    forms = [
        {"PatientID": 482913, "StudyDate": 20200102, "PatientAge": 45, "PatientWeight": 70, "Manufacturer": "GE"},
        {"PatientID": "482913", "StudyDate": "20200102", "PatientAge": "45", "PatientWeight": "70",
         "Manufacturer": "GE"},
        {"PatientID": 482913, "StudyDate": 20200102.0, "PatientAge": 45.0, "PatientWeight": 70.0, "Manufacturer": "GE"},
    ]
    outs = [deidentify_metadata(form, surrogates, patient) for form in forms]
    assert outs[0] == outs[1] == outs[2]
    out, warnings = outs[0]
    assert out == {"PatientID": surrogates.identifier("482913"), "StudyDate": "20191203", "PatientAge": "45",
                   "PatientWeight": 70.0, "Manufacturer": "GE"} and warnings == []
    assert deidentify_metadata({"PatientAge": 95}, surrogates, patient)[0] == {"PatientAge": "90"}


def test_a_weight_that_is_not_a_number_is_removed_and_empty_values_are_null() -> None:
    out, warnings = deidentify_metadata({"PatientWeight": "seventy", "PatientSex": ""}, Surrogates(KeyedHasher(b"k")),
                                        PatientContext("p", 3))
    assert out == {"PatientWeight": None, "PatientSex": None}
    assert warnings == ["metadata.PatientWeight: not a number; removed"]
