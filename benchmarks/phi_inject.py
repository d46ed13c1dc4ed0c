"""Synthetic chest X-ray reports with injected PHI and exact gold spans.

Turns IU X-ray section texts (or any dicts with ``indication``, ``comparison``, ``findings``,
``impression`` and optionally ``exam_title``) into full reports with headers, fills the "XXXX"
placeholders whose meaning is obvious from context, and adds PHI sentences and header lines.
Everything random comes from one seed, so the same input and seed give the same reports.

Each report carries three kinds of marked spans, all as exact offsets into ``Report.text``:

- ``phi``: gold PHI that must be removed (names, dates, IDs, phones, e-mail, URLs, street,
  city, ZIP, hospitals, ages >= 90);
- ``keep``: traps that are not PHI and must survive (ages < 90, eponyms, name-like words);
- ``neutral``: text that is neither (times of day, US states, unfilled "XXXX"); the evaluation
  ignores it on both sides.

The date-format helpers at the bottom are shared with ``eval_deid.py``, which checks that
surrogate dates keep the original format.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from faker import Faker

# Gold PHI types of the generated set.
PATIENT_NAME = "PATIENT_NAME"
CLINICIAN_NAME = "CLINICIAN_NAME"
DATE = "DATE"
MRN = "MRN"
ACCESSION = "ACCESSION"
PHONE = "PHONE"
EMAIL = "EMAIL"
URL = "URL"
ADDRESS = "ADDRESS"
CITY = "CITY"
ZIP = "ZIP"
HOSPITAL = "HOSPITAL"
AGE = "AGE"
PHI_TYPES = (PATIENT_NAME, CLINICIAN_NAME, DATE, MRN, ACCESSION, PHONE, EMAIL, URL,
             ADDRESS, CITY, ZIP, HOSPITAL, AGE)


@dataclass(frozen=True)
class GoldSpan:
    """``text == report.text[start:end]``; for dates also the calendar date and format written."""

    start: int
    end: int
    type: str
    text: str
    date: dt.date | None = None
    fmt: str = ""


@dataclass
class Report:
    """A text with its marked spans; also used by the evaluation for the nursing notes."""

    id: str
    patient_id: str
    text: str
    phi: list[GoldSpan] = field(default_factory=list)
    keep: list[GoldSpan] = field(default_factory=list)
    neutral: list[GoldSpan] = field(default_factory=list)


@dataclass(frozen=True)
class Piece:
    """A run of report text; ``role`` is "" (plain), "phi", "keep" or "neutral"."""

    text: str
    role: str = ""
    type: str = ""
    date: dt.date | None = None
    fmt: str = ""


class _Writer:
    """Appends pieces and records the offsets of the marked ones."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self.marked: dict[str, list[GoldSpan]] = {"phi": [], "keep": [], "neutral": []}

    def add(self, *pieces: Piece | str) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                piece = Piece(piece)
            if piece.role:
                end = self._pos + len(piece.text)
                self.marked[piece.role].append(
                    GoldSpan(self._pos, end, piece.type, piece.text, piece.date, piece.fmt))
            self._parts.append(piece.text)
            self._pos += len(piece.text)

    def line(self, *pieces: Piece | str) -> None:
        self.add(*pieces, "\n")

    def report(self, report_id: str, patient_id: str) -> Report:
        return Report(report_id, patient_id, "".join(self._parts), **self.marked)


def fill(template: str, **slots: Piece | str) -> list[Piece | str]:
    """Split ``"Dr. {doc} was notified"`` into text and the slot pieces."""
    out: list[Piece | str] = []
    for i, part in enumerate(re.split(r"\{(\w+)\}", template)):
        if i % 2:
            out.append(slots[part])
        elif part:
            out.append(part)
    return out


# ---------------------------------------------------------------------------------------------
# Names, places and other values

_FIRST = ["Mary-Kate", "Jean-Luc", "Siobhan", "José", "Zoë", "Ann", "Li", "DeShawn", "Mei",
          "Patrick", "Aoife", "Rose", "Frank", "Will", "Grace", "Hope"]
_LAST = ["O'Brien", "O'Connor", "D'Angelo", "McDonald", "MacKenzie", "Smith-Jones",
         "Garcia-Lopez", "van der Berg", "De La Cruz", "St. Clair", "Nguyen", "Gray", "Stone",
         "Rose", "Young", "Heart", "Hill", "Núñez"]
_HOSPITALS = ["St. Mary's Hospital", "Mercy Medical Center", "{city} General Hospital",
              "{city} Memorial Hospital", "Sacred Heart Medical Center",
              "St. Luke's Regional Medical Center", "Good Samaritan Hospital",
              "University of {city} Medical Center", "Mount Sinai Hospital",
              "{city} Community Hospital"]
_CITIES = ["Springfield", "Indianapolis", "Bloomington", "Carmel", "Terre Haute", "Fort Wayne"]
_STREETS = ["Main", "Oak", "Maple", "Washington", "Lincoln", "N. Meridian", "College", "W 10th",
            "Park", "Elm", "Martin Luther King Jr."]
_DOMAINS = ["mercyhealth.org", "stmarys.org", "iuhealth.org", "hospital.example.com"]


@dataclass(frozen=True)
class _Person:
    first: str
    middle: str
    last: str

    def name(self, form: str) -> str:
        first, last, mid = self.first, self.last, self.middle[0] + "."
        return {
            "First Last": f"{first} {last}",
            "First M. Last": f"{first} {mid} {last}",
            "LAST, FIRST": f"{last.upper()}, {first.upper()}",
            "Last, First": f"{last}, {first}",
            "Last, First M.": f"{last}, {first} {mid}",
            "FIRST LAST": f"{first.upper()} {last.upper()}",
            "F. Last": f"{first[0]}. {last}",
            "Last": last,
        }[form]


_NAME_FORMS = ("First Last", "First M. Last", "LAST, FIRST", "Last, First", "Last, First M.",
               "FIRST LAST", "F. Last")


@dataclass
class _Patient:
    pid: str
    person: _Person
    age: int
    dob: dt.date
    mrn: str
    day: dt.date          # date of the first exam
    street: str
    city: str
    state: str
    zip: str
    hospital: str
    domain: str
    phi: bool             # False: reports of this patient carry no PHI at all


# ---------------------------------------------------------------------------------------------
# Sentences that carry traps (must be kept). The marked word is in braces.

_TRAPS = [
    ("EPONYM", "Kerley", "{w} B lines are present at the lung bases."),
    ("EPONYM", "Hodgkin", "History of {w} lymphoma."),
    ("EPONYM", "Swan-Ganz", "{w} catheter tip projects over the right pulmonary artery."),
    ("EPONYM", "Chilaiditi", "{w} sign under the right hemidiaphragm."),
    ("EPONYM", "Morgagni", "Stable {w} hernia at the right cardiophrenic angle."),
    ("EPONYM", "Bochdalek", "Small left {w} hernia."),
    ("EPONYM", "Pancoast", "Right apical mass, concerning for {w} tumor."),
    ("EPONYM", "Westermark", "No {w} sign."),
    ("EPONYM", "Hampton", "No {w} hump."),
    ("EPONYM", "Foley", "{w} catheter projects over the pelvis."),
    ("EPONYM", "Dobhoff", "{w} tube tip in the stomach."),
    ("EPONYM", "Hickman", "Right {w} catheter tip at the cavoatrial junction."),
    ("EPONYM", "Fleischner", "Follow-up per {w} Society guidelines."),
    ("EPONYM", "Golden", "{w} S sign in the right upper lobe."),
    ("EPONYM", "Ghon", "Calcified {w} focus in the left lower lobe."),
    ("WORD", "Gray", "{w}-scale images were reviewed on the workstation."),
    ("WORD", "stone", "Calcified {w} projects over the right upper quadrant."),
    ("WORD", "Heart", "{w} size is normal."),
    ("WORD", "heart", "The {w} is mildly enlarged."),
    ("WORD", "rose", "The right hemidiaphragm {w} slightly since the prior study."),
    ("WORD", "frank", "No {w} pulmonary edema."),
    ("WORD", "Will", "{w} follow up after treatment."),
]


# ---------------------------------------------------------------------------------------------
# Filling IU "XXXX" placeholders

_XXXX = re.compile(r"""
    (?P<age>XXXX)(?=[- ]years?[- ]old)
  | (?<=[xX]-)(?P<xray>XXXX)
  | (?<=Dr\.\s)(?P<dr2>XXXX\sXXXX)
  | (?<=Dr\.\s)(?P<dr1>XXXX)
  | (?P<mdate>\bSept?\.?\s\d{1,2},\sXXXX|\b\d{1,2}/\d{1,3}/{0,2}\s?XXXX)
  | (?P<date2>XXXX,\sXXXX)
  | (?:(?<=dated\s)|(?<=from\s)|(?<=\bon\s))(?P<date1>XXXX)
  | (?P<time>(?<=\bat\s)XXXX|XXXX(?=\s(?:hours|a\.m\.|p\.m\.)))
  | (?i:(?<=\bcostophrenic\s)|(?<=\blymph\s)|(?<=\bsternotomy\s)|(?<=\bpulmonary\s))(?P<fill>XXXX)
  | (?P<other>XXXX)
""", re.VERBOSE)
_DATED_KEYS = ("comparison", "exam_title")  # where "XXXX, XXXX" is a date
_FILLS = {"costophrenic": "angles", "lymph": "nodes", "sternotomy": "wires",
          "pulmonary": "vasculature"}


class CxrGenerator:
    """Renders reports; one instance holds the random state, so build one per seed."""

    def __init__(self, seed: int = 0, no_phi_share: float = 0.08) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.no_phi_share = no_phi_share
        self.clinicians = [self._person() for _ in range(40)]
        self._n_patients = 0

    # -- values -----------------------------------------------------------------------------

    def _person(self) -> _Person:
        rng, fake = self.rng, self.fake
        first = rng.choice(_FIRST) if rng.random() < 0.25 else fake.first_name()
        last = rng.choice(_LAST) if rng.random() < 0.3 else fake.last_name()
        return _Person(first, fake.first_name(), last)

    def _patient(self, phi: bool) -> _Patient:
        rng, fake = self.rng, self.fake
        self._n_patients += 1
        age = rng.randint(90, 104) if phi and rng.random() < 0.15 else rng.randint(18, 89)
        day = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(365 * 18))
        dob = day - dt.timedelta(days=365 * age + rng.randrange(300))
        mrn = rng.choice(["{:08d}", "MRN{:07d}", "A{:07d}"]).format(rng.randrange(10**7))
        city = rng.choice(_CITIES) if rng.random() < 0.3 else fake.city()
        hospital = rng.choice(_HOSPITALS).format(city=rng.choice(_CITIES))
        street = fake.street_address() if rng.random() < 0.5 else "{} {} {}{}".format(
            rng.randint(1, 9999), rng.choice(_STREETS), rng.choice(["St", "Ave", "Road", "Blvd.",
                                                                     "Drive", "Lane", "Street"]),
            rng.choice(["", "", f", Apt {rng.randint(1, 40)}{rng.choice('ABC')}"]))
        return _Patient(f"P{self._n_patients:05d}", self._person(), age, dob, mrn, day, street,
                        city, fake.state_abbr(), fake.zipcode(), hospital, rng.choice(_DOMAINS),
                        phi)

    def _date(self, day: dt.date, fmt: str | None = None) -> Piece:
        fmt = fmt or self.rng.choice(list(DATE_FORMATS))
        return Piece(render_date(day, fmt), "phi", DATE, day, fmt)

    def _prior(self, p: _Patient) -> Piece:
        return self._date(p.day - dt.timedelta(days=self.rng.randint(1, 900)))

    def _time(self) -> Piece:
        h, m = self.rng.randint(0, 23), self.rng.randint(0, 59)
        text = self.rng.choice([f"{h:02d}:{m:02d}", f"{h:02d}{m:02d} hours",
                                f"{(h - 1) % 12 + 1}:{m:02d} {'a.m.' if h < 12 else 'p.m.'}"])
        return Piece(text, "neutral", "TIME")

    def _age(self, p: _Patient) -> Piece:
        if p.age >= 90:
            return Piece(str(p.age), "phi", AGE)
        return Piece(str(p.age), "keep", "AGE_UNDER_90")

    def _name(self, who: _Person, kind: str, form: str | None = None) -> Piece:
        return Piece(who.name(form or self.rng.choice(_NAME_FORMS)), "phi", kind)

    def _doc(self, form: str | None = None) -> Piece:
        return self._name(self.rng.choice(self.clinicians), CLINICIAN_NAME, form)

    def _phone(self) -> Piece:
        rng = self.rng
        a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randrange(10000)
        text = rng.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}",
                           f"+1 {a} {b} {c:04d}"])
        return Piece(text, "phi", PHONE)

    def _pager(self) -> Piece:
        return Piece(f"{self.rng.randint(1, 9)}-{self.rng.randrange(10000):04d}", "phi", PHONE)

    def _accession(self, p: _Patient) -> Piece:
        n = self.rng.randrange(10**6)
        text = self.rng.choice([f"ACC{p.day.year}{n:06d}", f"RAD-{n:07d}", f"{n:010d}",
                                f"CR{n:08d}"])
        return Piece(text, "phi", ACCESSION)

    def _email(self, who: _Person, p: _Patient) -> Piece:
        user = re.sub(r"[^a-z]", "", (who.first[0] + who.last).lower())
        return Piece(f"{user}@{p.domain}", "phi", EMAIL)

    def _url(self, p: _Patient) -> Piece:
        n = self.rng.randrange(10**6)
        text = self.rng.choice([f"https://pacs.{p.domain}/viewer?study={n}", f"www.{p.domain}",
                                f"http://{p.domain}/radiology"])
        return Piece(text, "phi", URL)

    # -- report -----------------------------------------------------------------------------

    def generate(self, records: Iterable[Mapping[str, str]]) -> list[Report]:
        """One report per record; consecutive records share a patient (1-5 reports each)."""
        reports: list[Report] = []
        patient: _Patient | None = None
        left = 0
        for i, record in enumerate(records):
            if left == 0:
                patient = self._patient(phi=self.rng.random() >= self.no_phi_share)
                left = self.rng.randint(1, 5)
            assert patient is not None
            left -= 1
            reports.append(self.render(record, patient, f"GEN{i + 1}"))
            patient.day += dt.timedelta(days=self.rng.randint(1, 200))
        return reports

    def render(self, record: Mapping[str, str], p: _Patient, report_id: str) -> Report:
        rng, w = self.rng, _Writer()
        if p.phi:
            self._header(w, p)
        title = record.get("exam_title", "")
        if title:
            w.line("EXAM: ", *self._unscrub(title, p, "exam_title"))
        upper = rng.random() < 0.5
        for key in ("indication", "comparison", "findings", "impression"):
            body = self._section(record.get(key, ""), key, p)
            if body:
                w.line(f"{key.upper() if upper else key.title()}: ", *body)
        if p.phi:
            self._footer(w, p)
        return w.report(report_id, p.pid)

    def _header(self, w: _Writer, p: _Patient) -> None:
        rng = self.rng
        if rng.random() < 0.7:
            w.line(Piece(p.hospital, "phi", HOSPITAL))
        if rng.random() < 0.4:
            w.line(Piece(p.street, "phi", ADDRESS), ", ", Piece(p.city, "phi", CITY), ", ",
                   Piece(p.state, "neutral", "STATE"), " ", Piece(p.zip, "phi", ZIP))
        if rng.random() < 0.4:
            w.line("Tel: ", self._phone(), "  Fax: ", self._phone())
        form = rng.choice(["LAST, FIRST", "Last, First", "First Last", "Last, First M."])
        label = rng.choice(["Patient: ", "PATIENT NAME: ", "Name: "])
        if rng.random() < 0.85:
            w.line(label, self._name(p.person, PATIENT_NAME, form), "    MRN: ",
                   Piece(p.mrn, "phi", MRN))
        else:
            w.line("Medical Record #: ", Piece(p.mrn, "phi", MRN))
        if rng.random() < 0.6:
            w.line("DOB: ", self._date(p.dob, rng.choice(FULL_DATE_FORMATS)), "   Age: ",
                   self._age(p), "   Sex: ", rng.choice(["M", "F"]))
        if rng.random() < 0.7:
            w.line("Accession #: ", self._accession(p), "   Exam date: ", self._date(p.day))
        if rng.random() < 0.5:
            w.line(rng.choice(["Referring physician: Dr. ", "Ordering provider: "]), self._doc())
        if rng.random() < 0.2:
            w.line("Address: ", Piece(p.street, "phi", ADDRESS), ", ",
                   Piece(p.city, "phi", CITY), " ", Piece(p.zip, "phi", ZIP))

    def _section(self, text: str, key: str, p: _Patient) -> list[Piece | str]:
        rng = self.rng
        if key == "comparison" and p.phi and rng.random() < 0.35:
            return fill(rng.choice(["{d}.", "Chest radiograph dated {d}.",
                                    "PA and lateral chest from {d} and {d2}.",
                                    "Prior study of {d} at {h}."]),
                        d=self._prior(p), d2=self._prior(p), h=Piece(p.hospital, "phi", HOSPITAL))
        if not text:
            return []
        body = self._unscrub(text, p, key)
        if key == "indication" and p.phi and "year" not in text and rng.random() < 0.4:
            age_form = rng.choice(["{a}-year-old", "{a} year old", "{a} y/o", "{a}yo",
                                   "Age {a},"])
            body = [*fill(age_form, a=self._age(p)), " ", rng.choice(["male", "female"]),
                    ". ", *body]
        if key == "findings" and (not p.phi or rng.random() < 0.25):
            for kind, word, sentence in rng.sample(_TRAPS, 3 if not p.phi else 1):
                body += [" ", *fill(sentence, w=Piece(word, "keep", kind))]
        if key == "impression" and p.phi and rng.random() < 0.5:
            body += [" ", *self._notification(p)]
        return body

    def _notification(self, p: _Patient) -> list[Piece | str]:
        rng = self.rng
        template = rng.choice([
            "Dr. {doc} was notified of the findings at {t} on {d}.",
            "Findings discussed with Dr. {last} at {t} on {d}.",
            "Critical result called to {doc} at {t}.",
            "Results were called to Dr. {last} at {phone}.",
            "Please contact the reading room at {phone} or pager {pager}.",
            "Report copied to {email}.",
            "Images are available at {url}.",
            "Patient was transferred from {h} on {d}.",
        ])
        doc = rng.choice(self.clinicians)
        return fill(template, doc=self._name(doc, CLINICIAN_NAME),
                    last=self._name(doc, CLINICIAN_NAME, "Last"), t=self._time(),
                    d=self._date(p.day), phone=self._phone(), pager=self._pager(),
                    email=self._email(doc, p), url=self._url(p),
                    h=Piece(p.hospital, "phi", HOSPITAL))

    def _footer(self, w: _Writer, p: _Patient) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            w.line("Dictated by: ", self._doc(), rng.choice(["", ", MD"]))
        if rng.random() < 0.7:
            w.line("Electronically signed by: ", self._doc(), ", MD on ", self._date(p.day),
                   " at ", self._time())

    def _unscrub(self, text: str, p: _Patient, key: str) -> list[Piece | str]:
        """Replace the "XXXX" placeholders whose meaning is obvious; mark the rest neutral."""
        out: list[Piece | str] = []
        pos = 0
        for m in _XXXX.finditer(text):
            out.append(text[pos:m.start()])
            pos = m.end()
            kind = m.lastgroup
            bare = key == "comparison" and re.fullmatch(r"\W*", text[m.end():]) is not None
            dated = kind in ("date1", "mdate") or key in _DATED_KEYS and (kind == "date2" or bare)
            if kind == "age":
                out.append(self._age(p))
            elif kind == "xray":
                out.append("ray")
            elif kind == "fill":
                out.append(_FILLS[re.findall(r"[a-z]+", text[:m.start()].lower())[-1]])
            elif not p.phi:
                out.append(Piece(m.group(), "neutral", "SCRUBBED"))
            elif kind in ("dr1", "dr2"):
                out.append(self._doc("Last" if kind == "dr1" else "First Last"))
            elif dated:
                out.append(self._prior(p) if key == "comparison" else self._date(p.day))
            elif kind == "time":
                out.append(self._time())
            else:
                out.append(Piece(m.group(), "neutral", "SCRUBBED"))
        out.append(text[pos:])
        return [piece for piece in out if piece]


def generate_reports(records: Iterable[Mapping[str, str]], seed: int = 0) -> list[Report]:
    """Deterministic for a seed: same records and seed give the same reports."""
    return CxrGenerator(seed).generate(records)


# ---------------------------------------------------------------------------------------------
# Date formats

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DATE_FORMATS = {
    "mm/dd/yyyy": "{mm}/{dd}/{yyyy}",
    "m/d/yy": "{m}/{d}/{yy}",
    "m/d/yyyy": "{m}/{d}/{yyyy}",
    "yyyy-mm-dd": "{yyyy}-{mm}-{dd}",
    "dd-Mon-yyyy": "{dd}-{Mon}-{yyyy}",
    "Month d, yyyy": "{Month} {d}, {yyyy}",
    "MONTH d, yyyy": "{MONTH} {d}, {yyyy}",
    "Mon d yyyy": "{Mon} {d} {yyyy}",
    "Mon. d, yyyy": "{Mon}. {d}, {yyyy}",
    "d Month yyyy": "{d} {Month} {yyyy}",
    "m/d": "{m}/{d}",
    "Month yyyy": "{Month} {yyyy}",
    "mm.dd.yyyy": "{mm}.{dd}.{yyyy}",
    "yyyymmdd": "{yyyy}{mm}{dd}",
}
FULL_DATE_FORMATS = [f for f, t in DATE_FORMATS.items() if "{y" in t and "{d" in t]


def render_date(day: dt.date, fmt: str) -> str:
    """``day`` written in ``fmt``; "May" takes no abbreviation period."""
    month = MONTHS[day.month - 1]
    return DATE_FORMATS[fmt].replace("{Mon}.", "{Mon}" if day.month == 5 else "{Mon}.").format(
        m=day.month, mm=f"{day.month:02d}", d=day.day, dd=f"{day.day:02d}",
        yy=f"{day.year % 100:02d}", yyyy=day.year, Month=month, MONTH=month.upper(),
        Mon=month[:3])


_FIELD_RE = {"m": r"(?P<m>\d{1,2})", "mm": r"(?P<m>\d{2})", "d": r"(?P<d>\d{1,2})",
             "dd": r"(?P<d>\d{2})", "yy": r"(?P<y2>\d{2})", "yyyy": r"(?P<y>\d{4})",
             "Month": r"(?P<mon>[A-Za-z]+)", "MONTH": r"(?P<mon>[A-Za-z]+)",
             "Mon": r"(?P<mon>[A-Za-z]+)"}  # any month name: the signature checks the style


def parse_date(text: str, fmt: str) -> dt.date | None:
    """The date ``text`` names when read in ``fmt``; None when it does not parse or is invalid.

    Formats without a year read as year 2000 and without a day as the 1st.
    """
    template = re.escape(DATE_FORMATS[fmt]).replace(r"\{Mon\}\.", r"\{Mon\}\.?")
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: _FIELD_RE[m.group(1)], template)
    m = re.fullmatch(pattern, text.strip())
    if m is None:
        return None
    g = m.groupdict()
    month = int(g["m"]) if g.get("m") else _month_number(g.get("mon") or "")
    year = int(g["y"]) if g.get("y") else 2000 + int(g["y2"]) if g.get("y2") else 2000
    if g.get("y2") and year > 2030:
        year -= 100
    try:
        return dt.date(year, month, int(g.get("d") or 1))
    except ValueError:
        return None


def _month_number(name: str) -> int:
    for i, month in enumerate(MONTHS, 1):
        if name.lower() in (month.lower(), month[:3].lower(), month[:4].lower()):
            return i
    return 0


def date_signature(text: str) -> tuple[str, ...]:
    """The shape of a date: digit runs as classes, month names as style, punctuation kept.

    ``"03/14/2019"`` -> ``("0D", "/", "DD", "/", "dddd")``; ``"MAR 14"`` -> ``("Mon:UPPER", " ", "DD")``.
    One- and two-digit numbers: "D" (one digit), "0D" (zero-padded), "DD" (either style).
    A month name is "Month" (full), "Mon" (abbreviated) or "Mon." with its case; "May" is all
    three, as it takes no abbreviation period.
    """
    sig: list[str] = []
    for tok in re.findall(r"\d+|[A-Za-z]+\.?|\s+|.", text.strip()):
        word = tok.rstrip(".")
        if tok.isdigit():
            sig.append({1: "D", 2: "0D" if tok[0] == "0" else "DD"}.get(len(tok), "d" * len(tok)))
        elif word.isalpha():
            n = _month_number(word)
            if n == 0:
                sig.append(tok.lower())
                continue
            if n == 5:
                style = "Mon.|Month|Mon" if word == tok else "Mon."
            elif len(word) == len(MONTHS[n - 1]):
                style = "Month" + tok[len(word):]
            else:
                style = "Mon" + tok[len(word):]
            case = "UPPER" if word.isupper() else "lower" if word.islower() else "Title"
            sig.append(f"{style}:{case}")
        else:
            sig.append(" " if tok.isspace() else tok)
    return tuple(sig)


def _compatible(x: str, y: str) -> bool:
    if x == y:
        return True
    if "DD" in (x, y):
        return {x, y} <= {"D", "0D", "DD"}
    if ":" in x and ":" in y:
        (sx, cx), (sy, cy) = x.split(":"), y.split(":")
        return cx == cy and bool(set(sx.split("|")) & set(sy.split("|")))
    return False


def same_date_format(a: str, b: str) -> bool:
    """True when both dates have the same signature, up to ambiguous tokens ("14", "May")."""
    sa, sb = date_signature(a), date_signature(b)
    return len(sa) == len(sb) and all(_compatible(x, y) for x, y in zip(sa, sb, strict=True))
