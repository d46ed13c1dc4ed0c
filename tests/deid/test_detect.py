"""The whole detector: NFKC view, labels, protected numbers, propagation, NER on doubtful lines,
and our own fixtures in real export layouts (benchmarks/deid_layouts.py)."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import deid_layouts
from service.deid import Deidentifier, Detector


def _found(detector: Detector, text: str) -> list[str]:
    return [text[s.start : s.end] for s in detector.detect(text)]


def test_full_width_and_superscript_digits_are_read_as_digits(detector: Detector) -> None:
    text = "Follow-up. ＭＲＮ９９８８７７６６ and MRN: ²⁰¹⁹⁰⁰¹²³"
    spans = detector.detect(text)
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(i in covered for i, ch in enumerate(text) if ch.isdigit())
    assert "Follow-up" not in "".join(text[s.start : s.end] for s in spans)


def test_field_labels_are_no_names_or_places(detector: Detector) -> None:
    text = "Pat Loc: 3 EAST\n     Proc Ord: CHEST 2 VIEWS PA&LAT\n     Proc Ord: FOOT 3 OR MORE VIEWS\n"
    assert _found(detector, text) == []


def test_an_id_never_swallows_a_dose(detector: Detector) -> None:
    text = "Patient BROWN, F. #1234  41.4 mg of furosemide given, then 2.5 mg. CPT:71020. Level L4-5."
    found = _found(detector, text)
    assert "BROWN, F" in found and "1234" in found
    assert not any(re.search(r"41|2\.5|71020|L4", f) for f in found), found


def test_a_name_found_by_context_is_replaced_everywhere_in_the_text(detector: Detector) -> None:
    text = "SICU team spoke with son Radu Crosson at the bedside. Later Radu agreed with the plan."
    assert _found(detector, text) == ["Radu Crosson", "Radu"]


def test_full_names_without_a_cue_go_to_the_ner(detector: Detector) -> None:
    assert _found(detector, "FINDINGS: Zebulon Quagmire has clear lungs and a normal heart.") == ["Zebulon Quagmire"]
    assert _found(detector, "The lungs are clear (Zebulon Quagmire). No effusion is seen.") == ["Zebulon Quagmire"]


def test_institutions_of_every_kind(detector: Detector) -> None:
    text = ("Compared with outside films from Mass General, Bell Imaging Associates and "
            "Northside Radiology Partners. Magnetic Resonance Imaging was not done.")
    found = " | ".join(_found(detector, text))
    for name in ("Mass General", "Bell Imaging Associates", "Northside Radiology Partners"):
        assert name in found
    assert "Magnetic" not in found and "Resonance" not in found


def test_every_name_token_date_and_id_of_our_layout_fixtures_is_changed(deidentifier: Deidentifier) -> None:
    reports = deid_layouts.generate(40, seed=3)
    results = deidentifier.deidentify_batch([r.text for r in reports], [r.patient_id for r in reports])
    left = deid_layouts.left_in_output(reports, results)
    assert left == {"name_tokens": [], "dates": [], "ids": []}


_UNITS = ["mg", "mcg", "mL", "cc", "cm", "mm", "%", "units", "mEq", "mmHg", "kg", "French", "hours"]
_FILLER = st.sampled_from([
    "Seen by Dr. Mary Long on 03/04/2019.", "MRN 12345678.", "Patient: STONE, GRACE", "Req Phys: BELL,WILL A",
    "Call (312) 555-0147.", "Accession #A12345.", "The lungs are clear.", "#1234", "Pat ID: 123-45-6789",
    "Transferred to Quartermain.", "Verifier E-Sig:/ES/J.E. CROSS, M.D.", "age 95", "2021-03-04T10:22",
])


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(_FILLER, max_size=3),
    number=st.one_of(st.integers(0, 9999).map(str), st.floats(0.1, 999, allow_nan=False).map(lambda x: f"{x:.1f}")),
    space=st.sampled_from(["", " "]),
    unit=st.sampled_from(_UNITS),
    after=st.lists(_FILLER, max_size=3),
    sep=st.sampled_from([" ", "  ", "\n", ", "]),
)
def test_numbers_with_units_survive_any_report(detector: Detector, before: list[str], number: str, space: str,
                                               unit: str, after: list[str], sep: str) -> None:
    dose = f"{number}{space}{unit}"
    text = sep.join([*before, f"Given {dose} today.", *after])
    start = text.index(dose)
    for span in detector.detect(text):
        assert span.end <= start or span.start >= start + len(dose), (text[span.start : span.end], dose)


def test_a_dose_is_never_part_of_any_span(detector: Detector) -> None:
    text = "The patient will be sent home with a prescription for Keflex 500 mg one p.o. b.i.d. and follow-up."
    assert not any("500" in f for f in _found(detector, text))


def test_an_address_value_ends_at_the_next_field(detector: Detector) -> None:
    text = "Address: 30824 Walker Union Apt. 089, Danielview, TN 01345. PHYSICAL EXAMINATION: The lungs are clear."
    found = " | ".join(_found(detector, text))
    assert "30824 Walker Union Apt. 089" in found and "Danielview" in found and "01345" in found
    assert "PHYSICAL" not in found and "lungs" not in found


def test_wards_and_named_hospitals_in_notes(detector: Detector) -> None:
    text = "PT INTUBATED ON QUARTERMAIN 2 FOR RESP FAILURE. PLAN TO GO TO SACRED HEART HOSPITAL. TRANS TO GH 7/23."
    found = _found(detector, text)
    assert "QUARTERMAIN" in found and "GH" in found and any("SACRED HEART" in f for f in found)
