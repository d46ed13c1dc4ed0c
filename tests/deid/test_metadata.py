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
