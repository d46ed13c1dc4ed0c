"""The PHI-injecting report generator of benchmarks/eval_deid.py (no shared data needed)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import phi_inject as pi

# Hand-written stubs in the IU layout, "XXXX" where the IU scrubber would have put it.
STUBS = [
    {"exam_title": "PA and lateral chest dated XXXX, XXXX at XXXX p.m.",
     "indication": "XXXX-year-old female with cough.",
     "comparison": "Chest radiograph dated XXXX.",
     "findings": "Lungs are clear. Costophrenic XXXX are sharp. Chest x-XXXX reviewed.",
     "impression": "Dr. XXXX XXXX was notified of the result."},
    {"exam_title": "Chest, two views", "indication": "Shortness of breath",
     "comparison": "XXXX, XXXX", "findings": "No pleural effusion. XXXX are intact.",
     "impression": "No acute disease."},
    {"indication": "", "comparison": "None.", "findings": "", "impression": "Stable chest."},
]


@pytest.fixture(scope="module")
def reports() -> list[pi.Report]:
    return pi.generate_reports(STUBS * 100, seed=7)


def _marked(report: pi.Report) -> list[pi.GoldSpan]:
    return report.phi + report.keep + report.neutral


def test_every_span_is_exact_and_none_overlap(reports: list[pi.Report]) -> None:
    for report in reports:
        spans = sorted(_marked(report), key=lambda s: s.start)
        assert all(report.text[s.start:s.end] == s.text and s.text for s in spans)
        assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_same_seed_same_reports_and_other_seed_differs() -> None:
    first, again = (pi.generate_reports(STUBS * 5, seed=3) for _ in range(2))
    other = pi.generate_reports(STUBS * 5, seed=4)
    assert [(r.text, r.phi, r.keep, r.neutral) for r in first] == \
        [(r.text, r.phi, r.keep, r.neutral) for r in again]
    assert [r.text for r in first] != [r.text for r in other]


def test_all_phi_types_appear(reports: list[pi.Report]) -> None:
    assert {s.type for r in reports for s in r.phi} == set(pi.PHI_TYPES)


def test_ages_are_phi_only_from_90(reports: list[pi.Report]) -> None:
    ages = [s for r in reports for s in r.phi if s.type == pi.AGE]
    kept = [s for r in reports for s in r.keep if s.type == "AGE_UNDER_90"]
    assert ages and kept
    assert all(int(s.text) >= 90 for s in ages)
    assert all(int(s.text) < 90 for s in kept)


def test_placeholders_filled_from_context(reports: list[pi.Report]) -> None:
    first = next(r for r in reports if r.phi and "cough" in r.text)
    assert "Costophrenic angles are sharp" in first.text
    assert "x-ray" in first.text
    notified = first.text.index(" was notified")
    assert any(s.type == pi.CLINICIAN_NAME and s.end == notified for s in first.phi)
    starts = {(r.id, s.start) for r in reports for s in r.phi if s.type == pi.DATE}
    after_dated = [(r.id, m.end()) for r in reports if r.phi for m in re.finditer("dated ", r.text)]
    assert after_dated
    assert all(pos in starts for pos in after_dated)
    assert all("XXXX" not in s.text for s in first.phi)


def test_dates_carry_their_value_and_format(reports: list[pi.Report]) -> None:
    dates = [s for r in reports for s in r.phi if s.type == pi.DATE]
    assert {s.fmt for s in dates} == set(pi.DATE_FORMATS)
    for s in dates:
        assert s.date is not None
        assert pi.render_date(s.date, s.fmt) == s.text


def test_reports_without_phi_keep_traps(reports: list[pi.Report]) -> None:
    clean = [r for r in reports if not r.phi]
    assert clean
    assert any(s.type == "EPONYM" for r in clean for s in r.keep)
    assert all("XXXX" not in r.text or r.neutral for r in clean)


def test_one_patient_keeps_one_mrn(reports: list[pi.Report]) -> None:
    mrns: dict[str, set[str]] = {}
    for r in reports:
        mrns.setdefault(r.patient_id, set()).update(s.text for s in r.phi if s.type == pi.MRN)
    assert any(len([r for r in reports if r.patient_id == p]) > 1 for p in mrns)
    assert all(len(values) <= 1 for values in mrns.values())


@pytest.mark.parametrize("fmt", list(pi.DATE_FORMATS))
def test_render_parse_round_trip(fmt: str) -> None:
    day = dt.date(2019, 3, 4)
    parsed = pi.parse_date(pi.render_date(day, fmt), fmt)
    assert parsed is not None
    if fmt in pi.FULL_DATE_FORMATS:
        assert parsed == day
    assert pi.parse_date("13/45/2019", "m/d/yyyy") is None


def test_may_takes_no_abbreviation_period() -> None:
    assert pi.render_date(dt.date(2019, 5, 4), "Mon. d, yyyy") == "May 4, 2019"
    assert pi.parse_date("May 4, 2019", "Mon. d, yyyy") == dt.date(2019, 5, 4)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("03/14/2019", "11/02/2018", True),
    ("03/14/2019", "3/2/2018", False),
    ("3/14/19", "12/1/18", True),
    ("March 14, 2019", "May 2, 2019", True),
    ("March 14, 2019", "Mar 2, 2019", False),
    ("MARCH 14, 2019", "April 2, 2019", False),
    ("14-Mar-2019", "02-Jan-2019", True),
    ("04-Mar-2019", "2-Jan-2019", False),
    ("14-Mar-2019", "2-Jan-2019", True),  # "14" may be unpadded: parse_date tells
    ("20190314", "20180102", True),
    ("Jul. 5, 2017", "May 13, 2017", True),
    ("May 13, 2017", "Jul. 5, 2017", True),
    ("Jul. 5, 2017", "Jul 5, 2017", False),
    ("2019-03-14", "03/14/2019", False),
])
def test_same_date_format(a: str, b: str, same: bool) -> None:
    assert pi.same_date_format(a, b) is same
