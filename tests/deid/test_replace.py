import re
import subprocess
import sys

from service.deid import Deidentifier, Detector
from service.deid.keys import PatientContext

REPORT = (
    "CLINICAL HISTORY: 93-year-old with cough. Patient: NAKAMURA, HIROSHI  MRN: 00482913\n"
    "COMPARISON: 03/14/2019 from Riverside Medical Center.\n"
    "IMPRESSION: Kerley B lines. Discussed with Dr. Okafor at 10:45 on March 15, 2019, tel (617) 555-0199."
)
PHI = [
    "NAKAMURA", "HIROSHI", "00482913", "03/14/2019", "Riverside", "Okafor", "March 15, 2019", "555-0199",
    "93-year-old",
]


def test_replacement_hides_every_value_and_offsets_point_into_the_output(deidentifier: Deidentifier) -> None:
    result = deidentifier.deidentify_batch([REPORT], ["P1"])[0]
    for value in PHI:
        assert value not in result.text
    for keep in ["Kerley B lines", "10:45", "cough", "CLINICAL HISTORY:", "IMPRESSION:"]:
        assert keep in result.text
    assert {e.type for e in result.entities} >= {"PERSON", "ID", "DATE", "ORGANIZATION", "PHONE", "AGE"}
    for entity, rep in zip(result.entities, result.replacements, strict=True):
        assert result.text[entity.start : entity.end] == rep.surrogate


def test_one_patient_one_shift_and_consistent_surrogates_across_reports(deidentifier: Deidentifier) -> None:
    a = "Prior 01/02/2020. Dr. Okafor. MRN: 00482913"
    b = "Prior 2020-01-02. Discussed with Okafor. MRN 00482913"
    out_a, out_b = deidentifier.deidentify_batch([a, b], ["P9", "P9"])
    dates_a = re.findall(r"\d\d/\d\d/\d{4}", out_a.text)
    dates_b = re.findall(r"\d{4}-\d\d-\d\d", out_b.text)
    month, day, year = dates_a[0].split("/")
    assert dates_b == [f"{year}-{month}-{day}"]
    surname_a = out_a.text.split("Dr. ")[1].split(".")[0]
    assert f"with {surname_a}." in out_b.text
    mrn_a = out_a.text.rsplit(" ", 1)[1]
    assert out_b.text.endswith(mrn_a)


def test_different_patients_get_different_shifts(deidentifier: Deidentifier) -> None:
    offsets = {deidentifier.patient(f"P{i}").date_offset_days for i in range(50)}
    assert len(offsets) > 40


def test_output_is_identical_in_a_fresh_process(deidentifier: Deidentifier) -> None:
    code = (
        "import sys; from service.deid import Deidentifier, Detector\n"
        "d = Deidentifier(Detector(), b'test-secret')\n"
        "sys.stdout.write(d.deidentify_batch([sys.stdin.read()], ['P1'])[0].text)"
    )
    other = subprocess.run([sys.executable, "-c", code], input=REPORT, capture_output=True, text=True, check=True)
    assert other.stdout == deidentifier.deidentify_batch([REPORT], ["P1"])[0].text


def test_replace_uses_the_patient_context_it_is_given(detector: Detector) -> None:
    d = Deidentifier(detector, b"s")
    text = "seen 01/10/2020"
    spans = detector.detect(text)
    assert d.replace(text, spans, PatientContext("x", 5)).text == "seen 01/15/2020"
    assert d.replace(text, spans, PatientContext("x", -10)).text == "seen 12/31/2019"


def test_a_birth_date_that_implies_an_age_of_90_or_more_is_moved_to_age_90(deidentifier) -> None:
    import datetime as dt

    text = "DOB: 03/14/1925. Exam date: 04/02/2019. Chest PA and lateral."
    result = deidentifier.deidentify_batch([text], ["p-old"])[0]
    born, exam = (dt.datetime.strptime(x, "%m/%d/%Y").date()
                  for x in (result.text[5:15], result.text.split("Exam date: ")[1][:10]))
    age = exam.year - born.year - ((exam.month, exam.day) < (born.month, born.day))
    assert age == 90
    # a younger patient's birth date shifts like any other date
    text = "DOB: 03/14/1965. Exam date: 04/02/2019."
    result = deidentifier.deidentify_batch([text], ["p-young"])[0]
    born, exam = (dt.datetime.strptime(x, "%m/%d/%Y").date()
                  for x in (result.text[5:15], result.text.split("Exam date: ")[1][:10]))
    assert (exam - born) == (dt.date(2019, 4, 2) - dt.date(1965, 3, 14))
