"""Our own report fixtures in the layouts where real exports put PHI, with exact gold spans.

Written here from descriptions of those layouts (no text of ``../shared/data`` is used):

- ``vista``: a VistA-style radiology export: ``Name: LAST,FIRST M`` header fields, ``Req Phys:``,
  ``Exm Date: SEP 24, 2004@11:25``, status and verification lines, ``Verifier E-Sig:/ES/…``,
  ``Primary Interpreting Staff:`` blocks, ``OP Unknown/09-07-2022@16:14`` trailers;
- ``hl7``: sign-off lines as HL7-derived exports carry them (``Requested By: Last,First A. M.D.``,
  ``Dictated By: … on May 22 2026 01:22AM``, ``Pending review by:``, ``electronically signed by``);
- ``flat``: a CSV-style export whose line breaks became ", " or spaces;
- ``dictation``: dictated reports naming nurses, residents and technologists (``discussed with nurse
  Mary Long``, ``charge nurse Bob Stone``), typist initials (``JS/ab``), institutions of many kinds, ages
  of 90 and over in every form, ISO timestamps, day-first dates, full-width MRNs and names in running
  text with no cue.

Names are drawn from lists that include surnames that are also English or clinical words (Long, Bell,
Cross, Marsh, Stone, …), in every case and order. ``generate(n, seed)`` is deterministic.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from typing import Any

from benchmarks import phi_inject as pi

NAME = "NAME"
ID = "ID"
INSTITUTION = "INSTITUTION"
DATE = pi.DATE
AGE = pi.AGE

_FIRST = ["Mary", "Bob", "Jennifer", "William", "Grace", "Frank", "Joy", "Will", "Rose", "Faith", "Carol",
          "Dawn", "Douglas", "Hope", "Jean", "Mark", "Patricia", "Zebulon", "Ngozi", "Siobhan", "Luis",
          "Kimberly", "Ashok", "Mei", "Walter", "June", "Guy", "Art", "Sandy", "Robin", "Chase", "Brooke"]
_LAST = ["Long", "Bell", "Cross", "Marsh", "Stone", "White", "Brown", "Young", "King", "Hill", "Wood",
         "Banks", "Price", "Case", "Moody", "Frank", "Rice", "Small", "Strong", "Cole", "Black", "Fields",
         "Hale", "Nunez", "Quagmire", "Okafor", "Donovan", "Barajas", "Hanson", "Vandermeer", "Patel",
         "Kowalczyk", "Street", "Lane", "Waters", "Chambers", "Burns", "Hart", "Root", "Major"]
_MIDDLE = "ABCDEFGHJKLMNPRSTW"
_INSTITUTIONS = ["Mass General", "Bell Imaging Associates", "Northside Radiology Partners",
                 "Lakeview Medical Associates", "St. Brigid Hospital", "Hale Diagnostic Imaging",
                 "Cross County Imaging Center", "Riverside Orthopedic Associates", "Marsh Family Practice"]
_FINDINGS = [
    "The lungs are clear. No pleural effusion or pneumothorax. Heart size is normal.",
    "Mild cardiomegaly. Small left pleural effusion with adjacent atelectasis.",
    "Right lower lobe opacity concerning for pneumonia. No pneumothorax.",
    "Endotracheal tube tip 4.5 cm above the carina. Right IJ catheter tip in the SVC.",
    "Stable 1.2 cm nodule in the left upper lobe. Degenerative changes of the T8-T10 spine.",
]
_IMPRESSIONS = ["No acute cardiopulmonary process.", "Findings suggest early pneumonia.",
                "Stable small effusion.", "Support devices in standard position."]
_MON = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


class _Builder:
    """Appends text; `phi` pieces are recorded as gold spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.gold: list[pi.GoldSpan] = []
        self.length = 0

    def add(self, text: str) -> _Builder:
        self.parts.append(text)
        self.length += len(text)
        return self

    def phi(self, text: str, kind: str) -> _Builder:
        self.gold.append(pi.GoldSpan(self.length, self.length + len(text), kind, text))
        return self.add(text)

    def name(self, tokens: Sequence[tuple[str, str]]) -> _Builder:
        """Name parts with their separators: [("SMITH", ","), ("JOHN", " "), ("A", "")]."""
        for token, sep in tokens:
            self.phi(token, NAME)
            self.add(sep)
        return self

    def report(self, rid: str, patient: str) -> pi.Report:
        return pi.Report(rid, patient, "".join(self.parts), self.gold)


class _People:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> tuple[str, str, str]:
        return self.rng.choice(_FIRST), self.rng.choice(_MIDDLE), self.rng.choice(_LAST)

    def vista_name(self, upper: bool = True) -> list[tuple[str, str]]:
        first, middle, last = self.person()
        if upper:
            first, last = first.upper(), last.upper()
        form = self.rng.randrange(3)
        if form == 0:
            return [(last, ","), (first, " "), (middle, "")]  # LAST,FIRST M
        if form == 1:
            return [(last, ","), (first, "")]
        return [(last, ", "), (first[0], ".")]  # LAST, F.


def _date(rng: random.Random) -> dt.datetime:
    return dt.datetime(2000, 1, 1, 0, 0) + dt.timedelta(days=rng.randrange(9000), minutes=rng.randrange(1440))


def _vista(rng: random.Random, people: _People, i: int) -> pi.Report:
    b = _Builder()
    when = _date(rng)
    b.add("                 DEPT OF VETERANS AFFAIRS RADIOLOGY REPORT\n")
    b.add("Name: ").name(people.vista_name()).add("      Pat ID: ").phi(f"{rng.randrange(100, 999)}-"
                                                                         f"{rng.randrange(10, 99)}-"
                                                                         f"{rng.randrange(1000, 9999)}", ID)
    b.add("   Pat Loc: 3 EAST\n")
    b.add("Exm Date: ").phi(f"{_MON[when.month - 1]} {when.day}, {when.year}@{when:%H:%M}", DATE).add("\n")
    b.add("Req Phys: ").name(people.vista_name()).add("     Img Loc: X-RAY\n")
    b.add("Att Phys: ").name(people.vista_name()).add("\n\n")
    case = rng.randrange(100, 9999)
    b.add(f"(Case {case} COMPLETE) CHEST 2 VIEWS PA&LAT     (RAD  Detailed) CPT:71020\n")
    b.add("     Proc Ord: CHEST 2 VIEWS PA&LAT\n")
    if rng.random() < 0.3:
        b.add("     Proc Ord: FOOT 3 OR MORE VIEWS\n")
    b.add("     Clinical History:\n       Cough and fever for 3 days.\n")
    first, middle, last = people.person()
    b.add("       Patient ").name([(last.upper(), ", "), (first[0], ". ")]).add("#")
    b.phi(str(rng.randrange(1000, 9999)), ID).add("  41.4 mg of furosemide given.\n")
    b.add("     Report Status: Verified                   Date Reported: ")
    b.phi(f"{_MON[when.month - 1]} {when.day:02d}, {when.year}", DATE).add("\n")
    b.add("                                               Date Verified: ")
    b.phi(f"{_MON[when.month - 1]} {when.day:02d}, {when.year}", DATE).add("\n")
    first, middle, last = people.person()
    b.add("     Verifier E-Sig:/ES/").name([(first[0], "."), (middle, ". "), (last.upper(), "")]).add(", M.D.\n")
    b.add("     Report:\n       " + rng.choice(_FINDINGS) + "\n")
    b.add("     Impression:\n       " + rng.choice(_IMPRESSIONS) + "\n")
    b.add("     Primary Diagnostic Code: MINOR ABNORMALITY\n")
    b.add("     Primary Interpreting Staff:\n       ")
    first, middle, last = people.person()
    b.name([(first.upper(), " "), (middle, " "), (last.upper(), "")]).add(", STAFF RADIOLOGIST (Verifier)\n")
    b.add("/ES/").name([(first.upper(), " "), (last.upper(), "")]).add(", M.D.\nSTAFF RADIOLOGIST\n")
    b.add("OP Unknown/").phi(f"{when:%m-%d-%Y}@{when:%H:%M}", DATE).add("\n")
    return b.report(f"vista-{i}", f"P{i}")


def _hl7(rng: random.Random, people: _People, i: int) -> pi.Report:
    b = _Builder()
    when = _date(rng)
    first, middle, last = people.person()
    b.name([(first.upper(), " "), (last.upper(), "")]).add(", M.D.\n\n********Final Report********\n\n")
    b.add("ACC#  Date Time  Exam\n").phi(f"A{rng.randrange(10**9, 10**10)}", ID).add(" ")
    stamp = f"{when:%b} {when.day} {when.year} {when:%I:%M%p}"
    b.phi(stamp, DATE).add(" XR CHEST 2V\n\nFINDINGS:\n" + rng.choice(_FINDINGS) + "\n\nIMPRESSION:\n")
    b.add(rng.choice(_IMPRESSIONS) + "\n")
    first, middle, last = people.person()
    b.add("Requested By: ").name([(last, ","), (first, " "), (middle, ".")]).add(" M.D.\n\n")
    first, middle, last = people.person()
    b.add("Dictated By: ").name([(first, " "), (last, "")]).add(", M.D. on ").phi(stamp, DATE).add("\n\n")
    f2, m2, l2 = people.person()
    b.add("Pending review by: ").name([(f2, " "), (l2, "")]).add(", M.D.\n")
    b.add("This document has been electronically signed by: ").name([(first, " "), (last, "")])
    b.add(", M.D.\non ").phi(stamp, DATE).add("\n")
    initials = (first[0] + last[0]).upper()
    b.phi(initials, NAME).add("/").phi(f2[0].lower() + l2[0].lower(), NAME).add("\n")
    return b.report(f"hl7-{i}", f"Q{i}")


def _dictation(rng: random.Random, people: _People, i: int) -> pi.Report:
    b = _Builder()
    when = _date(rng)
    b.add("EXAM: CHEST PA AND LATERAL ").phi(f"{when:%Y-%m-%d}T{when:%H:%M}", DATE)
    b.add("\nINDICATION: ")
    age = rng.randrange(90, 104)
    form = rng.randrange(6)
    b.add(["", "", "Patient is ", "Aged ", "", "Age: "][form])
    b.phi(f"{age}", AGE).add(["-year-old", " yo", "", "", "F", ""][form])
    b.add([" female with cough.", " male, dyspnea.", " years old, fall.", ", chest pain.", " with fever.",
           ", hypoxia."][form] + "\n")
    b.add("COMPARISON: ").phi(f"{when.day:02d}.{when.month:02d}.{when.year}", DATE).add(" at ")
    b.phi(rng.choice(_INSTITUTIONS), INSTITUTION).add(".\nFINDINGS: ")
    first, _, last = people.person()
    if rng.random() < 0.5:
        b.name([(first, " "), (last, "")]).add(" has " + rng.choice(_FINDINGS).lower() + "\n")
    else:
        b.add(rng.choice(_FINDINGS) + " (").name([(first, " "), (last, "")]).add(")\n")
    b.add("IMPRESSION: " + rng.choice(_IMPRESSIONS) + "\n")
    first, _, last = people.person()
    b.add("Findings were discussed with nurse ").name([(first, " "), (last, "")]).add(" at 14:20.\n")
    first, _, last = people.person()
    b.add("Charge nurse ").name([(first, " "), (last, "")]).add(" was notified.\n")
    first, _, last = people.person()
    b.add(rng.choice(["Resident", "Technologist", "Fellow", "PA"]) + " ")
    b.name([(first, " "), (last, "")]).add(" reviewed the images.\n")
    b.add("ＭＲＮ").phi("".join(chr(0xFF10 + int(c)) for c in str(rng.randrange(10**7, 10**8))), ID).add("\n")
    first, _, last = people.person()
    b.add("Patient ").name([(first, " "), (last, "")]).add(" tolerated the exam.\n")
    b.phi(first[0] + last[0], NAME).add("/").phi("ab", NAME).add("\n")
    return b.report(f"dict-{i}", f"R{i}")


def _flat(rng: random.Random, people: _People, i: int) -> pi.Report:
    inner = (_vista if rng.random() < 0.5 else _hl7)(rng, people, i)
    sep = rng.choice([", ", " "])
    # Each newline (and the spaces around it) becomes the separator; gold offsets move with it.
    pieces = re.split(r"([ \t]*\n[ \t\n]*)", inner.text)
    out: list[str] = []
    mapping: list[int] = []  # original offset -> new offset
    position = 0
    for k, piece in enumerate(pieces):
        text = sep if k % 2 else piece
        mapping += [position + (0 if k % 2 else offset) for offset in range(len(piece))]
        out.append(text)
        position += len(text)
    mapping.append(position)
    text = "".join(out)
    gold = [pi.GoldSpan(mapping[g.start], mapping[g.start] + len(g.text), g.type, g.text) for g in inner.phi]
    return pi.Report(f"flat-{i}", inner.patient_id, text, gold)


def generate(n: int, seed: int = 0) -> list[pi.Report]:
    rng = random.Random(seed)
    people = _People(rng)
    makers = (_vista, _hl7, _dictation, _flat)
    return [makers[i % len(makers)](rng, people, i) for i in range(n)]


def _count(text: str, value: str) -> int:
    return len(re.findall(rf"(?<![^\W_]){re.escape(value)}(?![^\W_])", text))


def left_in_output(reports: Sequence[pi.Report], results: Sequence[Any]) -> dict[str, list[str]]:
    """Name tokens (2+ letters) and dates of the gold still present in the output, beyond the
    occurrences the original has outside gold spans (a surname that is also a word used as a word)."""
    left: dict[str, list[str]] = {"name_tokens": [], "dates": [], "ids": []}
    for rep, res in zip(reports, results, strict=True):
        outside = rep.text
        for g in sorted(rep.phi, key=lambda g: -g.start):
            outside = outside[: g.start] + " " * (g.end - g.start) + outside[g.end :]
        for g in rep.phi:
            kind = {NAME: "name_tokens", DATE: "dates", ID: "ids"}.get(g.type)
            if kind is None or (kind == "name_tokens" and len(g.text) < 2):
                continue
            if _count(res.text, g.text) > _count(outside, g.text):
                left[kind].append(g.text)
    return left
