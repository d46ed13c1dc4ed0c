import subprocess
import sys

from service.deid.keys import KeyedHasher, PatientContext, date_offset


def test_offsets_are_nonzero_within_a_year_and_cover_both_signs() -> None:
    hasher = KeyedHasher(b"k")
    offsets = {date_offset(hasher, f"patient-{i}") for i in range(3000)}
    assert 0 not in offsets
    assert min(offsets) >= -365 and max(offsets) <= 365
    assert min(offsets) < -300 and max(offsets) > 300


def test_same_secret_and_patient_give_the_same_offset_other_secret_another() -> None:
    a, b = KeyedHasher(b"secret-a"), KeyedHasher(b"secret-b")
    assert date_offset(a, "P1") == date_offset(a, " p1 ")
    assert [date_offset(a, f"P{i}") for i in range(20)] != [date_offset(b, f"P{i}") for i in range(20)]
    assert PatientContext.for_patient(a, "P1").date_offset_days == date_offset(a, "P1")


def test_offsets_are_identical_in_another_process() -> None:
    code = "from service.deid.keys import KeyedHasher, date_offset; print(date_offset(KeyedHasher(b'xyz'), 'P77'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) == date_offset(KeyedHasher(b"xyz"), "P77")
