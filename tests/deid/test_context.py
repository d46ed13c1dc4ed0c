import pytest

from service.deid import context
from service.deid.spans import resolve_overlaps


def _found(recognizer, text: str) -> list[str]:
    return [text[s.start : s.end] for s in resolve_overlaps(recognizer(text), text)]


VISTA = """Name: STREET,JENNIFER      Pat ID: 514-48-8808   Pat Loc: 3 EAST
Req Phys: LONG,WILLIAM G     Img Loc: X-RAY
Att Phys: BELL, N.
     Verifier E-Sig:/ES/K.S. CROSS, M.D.
     Primary Interpreting Staff:
       ART L MARSH, STAFF RADIOLOGIST (Verifier)
"""


def test_vista_person_fields_whatever_the_words() -> None:
    assert _found(context.person_fields, VISTA) == [
        "STREET,JENNIFER", "LONG,WILLIAM G", "BELL, N", "K.S. CROSS", "ART L MARSH",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Requested By: Stone,Grace A. M.D.", ["Stone,Grace A"]),
        ("Dictated By: Frank Long, M.D. on May 22 2026 01:22AM", ["Frank Long"]),
        ("Pending review by: Will Bell, M.D.", ["Will Bell"]),
        ("This document has been electronically signed by: Joy Cross, M.D.", ["Joy Cross"]),
        ("cc: Dr. Mary Rose; Dr. Will Marsh", ["Mary Rose", "Will Marsh"]),
        ("Ordering Physician: Dr. Hope Small", ["Hope Small"]),
        ("Requested By: Stone,Grace A. M.D. Dictated By: Frank Long, M.D.", ["Stone,Grace A", "Frank Long"]),
        # no person field
        ("Exam name: Chest two views", []),
        ("PATIENT: The patient is well.", []),
        ("Report Status: Verified", []),
    ],
)
def test_signoff_fields(text: str, expected: list[str]) -> None:
    assert _found(context.person_fields, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Impression: clear.\nJS/ab\n", ["JS", "ab"]),
        ("..., signed 01:22AM, JW/js, ", ["JW", "js"]),
        ("... on Mar 11 2005 08:45AM LB/jv", ["LB", "jv"]),
        ("PA/lat views of the chest", []),
        ("s/p CABG, w/o contrast", []),
    ],
)
def test_typist_initials(text: str, expected: list[str]) -> None:
    assert _found(context.typist_initials, text) == expected


@pytest.mark.parametrize(
    ("text", "cased", "expected"),
    [
        ("Did well, transferred to Quartermain 2.", True, ["Quartermain"]),
        ("TRANS TO GH 7/23", False, ["GH"]),
        ("followed at gh by dr healey", False, ["gh"]),
        ("taken to the OR, then transferred to ICU and sent to Recovery.", True, []),
        ("transferred to rehab, came from home", True, []),
        # sentence case capitalises a proper noun even when it is a common word; departments are none
        ("She wants to go to Harbor tonight and went to Harbor on 3/6.", True, ["Harbor", "Harbor"]),
        ("Taken to Surgery, then sent to Cardiology and referred to Physical Therapy. Came in Friday.", True, []),
        ("She was taken to the Operating Room.", True, []),
        ("Pt transferred to quindlemore overnight, weaned to CPAP 5.", True, ["quindlemore"]),
    ],
)
def test_destinations(text: str, cased: bool, expected: list[str]) -> None:
    assert _found(lambda t: context.destinations(t, cased), text) == expected


def test_labels_and_protected_numbers() -> None:
    text = "     Proc Ord: CHEST 2 VIEWS\nPat Loc: 3 EAST\n#1234  41.4 mg CPT:71020 ICD-10 J18.9 at L4-5, 2.5 cm"
    assert [text[a:b] for a, b in context.label_ranges(text)] == ["Proc Ord", "Pat Loc"]
    assert [text[a:b] for a, b in context.protected_ranges(text)] == [
        "41.4 mg", "CPT:71020", "ICD-10 J18.9", "L4-5", "2.5 cm",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HE WILL NEED TO LEAVE GH, HAVE SURGERY AND RETURN.", ["GH"]),
        ("Seen by the CHF team at GH; consult from the PVMC.", ["GH", "PVMC"]),
        ("RI AMI, to GH cath lab, 3VD.", ["GH"]),
        ("reintubated at gh last year", ["gh"]),
        # clinical acronyms of that shape, English words, typos and units are none
        ("Response to TSH was normal; LVH in the past; transferred to NH.", []),
        ("BREATHING IN SYNCH, GOING TO TRACH. HR HIGH. SPOKE WTIH MD.", []),
    ],
)
def test_institution_acronyms(text: str, expected: list[str]) -> None:
    assert _found(context.institution_acronyms, text) == expected


@pytest.mark.parametrize(
    ("text", "cased", "expected"),
    [
        ("HUSBAND IS CEO OF ZORBAX. SMOKER.", False, ["ZORBAX"]),
        ("he works for acme health. a: stable", False, ["acme health"]),
        ("She works at night as a cook, and works for Quillfeather Press.", True, ["Quillfeather Press"]),
        ("He works at home. Retired from work last year.", True, []),
    ],
)
def test_employers(text: str, cased: bool, expected: list[str]) -> None:
    assert _found(lambda t: context.employers(t, cased), text) == expected
