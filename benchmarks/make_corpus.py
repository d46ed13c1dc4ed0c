"""A synthetic corpus of raw chest X-ray reports for throughput benchmarks (default 160,000 reports).

Our own templates and vocabulary (no report text from any dataset), seeded, so the same `-n` and
`--seed` give the same file on every machine. The shape follows a ReXGradient-like corpus:

- several studies per patient (geometric, mean ~1.46 studies per patient, as 160k studies of ~109k
  patients), in shuffled order; a patient's later studies compare with the earlier ones' dates;
- metadata per study: PatientID, AccessionNumber, PatientSex, PatientAge (DICOM "067Y"; ~3 % are
  90 or older), StudyDate (YYYYMMDD), InstitutionName, Manufacturer;
- PHI in the text, so de-identification does real work: header lines (accession, exam date,
  ordering clinician; in ~15 % of reports a patient block with name, MRN = PatientID and date of
  birth), signing clinicians, notification sentences with names,
  dates, times and phone numbers, prior dates and institutions in the comparison;
- layouts in a real corpus's mix (`LAYOUTS`): ~85 % with section headers (own line, inline, aliases,
  all caps, exam/technique/signature blocks, CRLF hard wraps, one run-on line), ~12 % headerless
  paragraphs and ~3 % with an impression header only.

It is a load generator, not a gold set: nothing here is labelled for quality evaluation.

    python benchmarks/make_corpus.py [-n 160000] [--seed 0] [-o benchmarks/out/corpus.jsonl] [--parquet]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "corpus.jsonl"
STUDIES_PER_PATIENT = 1.46

# layout -> share of the corpus; "headered" layouts are all but the last two
LAYOUTS: dict[str, float] = {
    "own_line": 0.25, "inline": 0.25, "aliases": 0.10, "all_caps": 0.08, "exam_technique_signature": 0.07,
    "crlf_wrapped": 0.05, "run_on": 0.05, "headerless": 0.12, "impression_only": 0.03,
}
HEADERLESS_LAYOUTS = ("headerless", "impression_only")

FIRST = ("James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Thomas", "Susan",
         "Daniel", "Karen", "Anthony", "Nancy", "Kevin", "Deborah", "Brian", "Sharon", "Gregory", "Cynthia",
         "Raymond", "Kathleen", "Dennis", "Angela", "Walter", "Brenda", "Douglas", "Pamela", "Harold", "Nicole",
         "Priya", "Wei", "Oluwaseun", "Ahmed", "Fatima", "Hiroshi", "Ingrid", "Mateo", "Anika", "Tomasz",
         "Siobhan", "Kwame", "Yusuf", "Mei-Ling", "Rafael", "Svetlana", "Dmitri", "Leticia", "Arjun", "Colette")
LAST = ("Johnson", "Williams", "Rodriguez", "Martinez", "Anderson", "Thompson", "Ramirez", "Robinson",
        "Nakamura", "Okafor", "Kowalski", "Lindqvist", "Fitzgerald", "Castellanos", "Abernathy", "Whitfield",
        "Vasquez", "Huang", "Chakraborty", "Haddad", "Oyelaran", "Brennan", "Delacroix", "Schreiber",
        "Moreno", "Gallagher", "Petrakis", "Van Houten", "O'Sullivan", "McAllister", "Pemberton", "Yamamoto",
        "Gutierrez", "Nwosu", "Hoffmann", "Kaczmarek", "Sorensen", "Castillo", "Blackwood", "Ferreira",
        "Abdullah", "Kim", "Novak", "Rasmussen", "Iglesias", "Thibodeaux", "Zielinski", "Mbeki", "Carrington")
CITIES = ("Millbrook", "Harlow", "Cedar Falls", "Port Emery", "Westbury", "Ashford", "Riverton", "Glenmoor",
          "Oak Hollow", "Brookhaven", "Fairmont", "Lakeview")
INSTITUTIONS = ("{city} General Hospital", "{city} Regional Medical Center", "St. Agnes Hospital of {city}",
                "{city} Community Hospital", "University of {city} Medical Center", "Northshore Clinic")
MANUFACTURERS = ("GE Healthcare", "Philips", "SIEMENS", "Carestream Health", "FUJIFILM Corporation",
                 "Agfa", "KONICA MINOLTA", "Canon Medical Systems")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

SYMPTOMS = ("cough", "shortness of breath", "fever", "chest pain", "productive cough and fever", "hypoxia",
            "dyspnea on exertion", "wheezing", "hemoptysis", "pleuritic chest pain", "weakness", "a fall")
REASONS = ("Rule out pneumonia.", "Preoperative evaluation.", "Evaluate for pneumothorax.", "Line placement.",
           "Follow-up of pneumonia.", "Evaluate for effusion.", "Screening.", "Status post chest tube removal.",
           "History of CHF, increased edema?", "Positive PPD.", "Trauma.", "Assess tube position.")
NORMAL = {
    "lungs": ("The lungs are clear.", "Lungs are well expanded and clear.", "No focal consolidation.",
              "No focal airspace opacity."),
    "pleura": ("No pleural effusion or pneumothorax.", "There is no pleural effusion.", "No pneumothorax."),
    "heart": ("The heart size is normal.", "Cardiomediastinal silhouette is within normal limits.",
              "Normal cardiac and mediastinal contours."),
    "bones": ("No acute osseous abnormality.", "The visualized osseous structures are intact.",
              "Bony thorax is unremarkable."),
}
# (finding sentence, impression phrase)
ABNORMAL = (
    ("Patchy airspace opacity in the {side} lower lobe.", "{Side} lower lobe opacity, possibly pneumonia."),
    ("Small {side} pleural effusion with adjacent atelectasis.", "Small {side} pleural effusion."),
    ("The heart is mildly enlarged.", "Mild cardiomegaly."),
    ("Interstitial markings are increased with vascular congestion.", "Mild pulmonary edema."),
    ("Linear atelectasis at the {side} lung base.", "Bibasilar atelectasis."),
    ("A nodule of {size} mm projects over the {side} upper lobe.", "{Side} upper lobe nodule; CT recommended."),
    ("Calcified granuloma in the {side} mid lung.", "Old granulomatous disease."),
    ("Hyperinflated lungs with flattened hemidiaphragms.", "Hyperinflation, consistent with COPD."),
    ("Degenerative changes of the thoracic spine.", "Degenerative spine."),
    ("Endotracheal tube tip is {size} mm above the carina.", "Endotracheal tube in satisfactory position."),
    ("Right internal jugular catheter tip in the superior vena cava.", "Central line in good position."),
    ("Median sternotomy wires are intact.", "Postoperative changes of sternotomy."),
    ("Small {side} apical pneumothorax.", "Small {side} pneumothorax."),
)
NEGATIVE_IMPRESSIONS = ("No acute cardiopulmonary process.", "No acute cardiopulmonary abnormality.",
                        "Normal chest radiograph.", "No active disease.", "No acute findings.")
TECHNIQUES = ("PA and lateral views of the chest.", "Single portable AP view of the chest.",
              "Frontal and lateral radiographs of the chest.")
TITLES = ("CHEST PA AND LATERAL", "XR CHEST 2 VIEWS", "CHEST 1 VIEW PORTABLE", "Radiograph of the chest")
HEADERS = {"indication": "INDICATION", "comparison": "COMPARISON", "findings": "FINDINGS",
           "impression": "IMPRESSION"}
ALIASES = {"indication": ("CLINICAL HISTORY", "HISTORY", "REASON FOR EXAM", "CLINICAL INFORMATION"),
           "comparison": ("PRIOR STUDIES", "COMPARISONS", "PRIOR EXAMS"),
           "findings": ("REPORT", "FINDINGS", "DESCRIPTION"),
           "impression": ("CONCLUSION", "IMPRESSIONS", "OPINION", "SUMMARY")}


@dataclass
class _Patient:
    pid: str
    first: str
    last: str
    sex: str
    age: int
    birth: dt.date
    institution: str
    manufacturer: str
    studies: list[dt.date] = field(default_factory=list)
    reports: int = 0


@dataclass(frozen=True)
class CorpusReport:
    """One input record for `radprep process`, its layout, and the PHI strings written into its text."""

    record: dict[str, object]
    layout: str
    phi: tuple[str, ...]


class _Writer:
    """Builds one report's text pieces and notes the PHI values put into them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phi: list[str] = []

    def put(self, value: str) -> str:
        self.phi.append(value)
        return value

    def name(self, first: str, last: str) -> str:
        form = self.rng.random()
        if form < 0.4:
            full = f"{self.put(first)} {self.put(last)}"
            return f"Dr. {full}" if self.rng.random() < 0.5 else f"{full}, MD"
        if form < 0.7:
            return f"Dr. {self.put(last)}"
        return f"{self.put(last.upper())}, {self.put(first.upper())}"

    def date(self, day: dt.date) -> str:
        style = self.rng.randrange(5)
        text = (f"{day.month:02d}/{day.day:02d}/{day.year}", f"{day.month}/{day.day}/{day.year % 100:02d}",
                f"{MONTHS[day.month - 1]} {day.day}, {day.year}", f"{day.year}-{day.month:02d}-{day.day:02d}",
                f"{day.day:02d}-{MONTHS[day.month - 1][:3].upper()}-{day.year}")[style]
        return self.put(text)

    def phone(self) -> str:
        a, b, c = self.rng.randint(201, 989), self.rng.randint(200, 999), self.rng.randrange(10000)
        return self.put((f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}")[self.rng.randrange(3)])

    def time(self) -> str:
        h, m = self.rng.randrange(24), self.rng.randrange(60)
        return f"{h:02d}:{m:02d}" if self.rng.random() < 0.6 else f"{h:02d}{m:02d} hours"


class CorpusGenerator:
    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.clinicians = [(self.rng.choice(FIRST), self.rng.choice(LAST)) for _ in range(300)]

    def generate(self, n: int) -> Iterator[CorpusReport]:
        """n reports; patients get 1, 2, 3, ... studies (geometric, mean ~1.46), in shuffled order."""
        rng, slots, patients = self.rng, [], []
        while len(slots) < n:
            count = 1
            while count < 12 and rng.random() > 1 / STUDIES_PER_PATIENT:
                count += 1
            patients.append(self._patient(len(patients)))
            slots.extend([len(patients) - 1] * count)
        slots = slots[:n]
        rng.shuffle(slots)
        for number, index in enumerate(slots, start=1):
            yield self._report(number, patients[index])

    def _patient(self, index: int) -> _Patient:
        rng = self.rng
        age = rng.randint(90, 101) if rng.random() < 0.03 else rng.randint(18, 89)
        first_study = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(365 * 12))
        birth = first_study - dt.timedelta(days=365 * age + rng.randrange(365))
        institution = rng.choice(INSTITUTIONS).format(city=rng.choice(CITIES))
        sex = "O" if rng.random() < 0.005 else rng.choice("MF")
        return _Patient(f"{rng.randrange(10**7, 10**8)}", rng.choice(FIRST), rng.choice(LAST), sex, age, birth,
                        institution, rng.choice(MANUFACTURERS), [first_study])

    def _report(self, number: int, p: _Patient) -> CorpusReport:
        rng, w = self.rng, _Writer(self.rng)
        if p.reports:  # a later study of this patient
            p.studies.append(p.studies[-1] + dt.timedelta(days=rng.randint(1, 400)))
        p.reports += 1
        day, priors = p.studies[-1], p.studies[:-1]
        if not priors and rng.random() < 0.3:  # a prior study from before this corpus
            priors = [day - dt.timedelta(days=rng.randint(30, 2000))]
        age = p.age + (day - p.studies[0]).days // 365
        accession = f"{rng.choice(('ACC', 'RAD', 'CR'))}{rng.randrange(10**8):08d}"
        layout = rng.choices(list(LAYOUTS), weights=list(LAYOUTS.values()))[0]
        sections = self._sections(w, p, age, day, priors)
        text = _render(sections, layout, rng)
        if rng.random() < 0.45:
            text = self._header(w, p, accession, day) + ("\r\n" if layout == "crlf_wrapped" else "\n") + text
        if rng.random() < 0.6:
            text += ("\r\n" if layout == "crlf_wrapped" else "\n") + self._signature(w, day)
        if layout == "all_caps":
            text = text.upper()
            w.phi = [v.upper() for v in w.phi]
        metadata = {"PatientID": p.pid, "AccessionNumber": accession, "PatientSex": p.sex,
                    "PatientAge": f"{age:03d}Y", "StudyDate": day.strftime("%Y%m%d"),
                    "InstitutionName": p.institution, "Manufacturer": p.manufacturer}
        record = {"id": f"syn-{number:06d}", "text": text, "patient_id": p.pid, "metadata": metadata}
        return CorpusReport(record, layout, tuple(w.phi))

    def _sections(self, w: _Writer, p: _Patient, age: int, day: dt.date, priors: list[dt.date]) -> dict[str, str]:
        rng = self.rng
        sex = {"M": "male", "F": "female"}.get(p.sex, "patient")
        shown_age = w.put(str(age)) if age >= 90 else str(age)
        indication = rng.choice((f"{shown_age}-year-old {sex} with {rng.choice(SYMPTOMS)}.",
                                 f"{rng.choice(SYMPTOMS).capitalize()}. {rng.choice(REASONS)}",
                                 rng.choice(REASONS), f"{shown_age} y/o {sex}, {rng.choice(SYMPTOMS)}."))
        if priors and rng.random() < 0.8:
            prior = rng.choice(priors)
            comparison = rng.choice((f"{w.date(prior)}.", f"Chest radiograph dated {w.date(prior)}.",
                                     f"Prior study of {w.date(prior)} at {w.put(p.institution)}.",
                                     f"PA and lateral chest from {w.date(prior)}."))
        else:
            comparison = rng.choice(("None.", "None available.", "No prior studies."))
        findings, impressions = [], []
        for system, normal in NORMAL.items():
            findings.extend(rng.sample(normal, 2 if system == "lungs" and rng.random() < 0.5 else 1))
        for finding, impression in rng.sample(ABNORMAL, rng.choice((0, 0, 0, 1, 1, 2, 3))):
            side = rng.choice(("right", "left"))
            slots = {"side": side, "Side": side.capitalize(), "size": str(rng.randint(3, 40))}
            findings.insert(rng.randrange(len(findings) + 1), finding.format(**slots))
            impressions.append(impression.format(**slots))
        if not impressions:
            impression = rng.choice(NEGATIVE_IMPRESSIONS)
        elif len(impressions) == 1 or rng.random() < 0.5:
            impression = " ".join(impressions)
        else:
            impression = "\n".join(f"{i}. {text}" for i, text in enumerate(impressions, 1))
        if rng.random() < 0.3:
            impression += " " + self._notification(w, day)
        parts = {"indication": indication, "comparison": comparison, "findings": " ".join(findings),
                 "impression": impression}
        if rng.random() < 0.15:
            del parts["comparison"]
        if rng.random() < 0.05:
            del parts["indication"]
        return parts

    def _notification(self, w: _Writer, day: dt.date) -> str:
        first, last = self.rng.choice(self.clinicians)
        return self.rng.choice((
            f"Findings discussed with {w.name(first, last)} by telephone at {w.time()} on {w.date(day)}.",
            f"Critical result called to {w.name(first, last)} at {w.time()}.",
            f"Results communicated to {w.name(first, last)} at {w.phone()}.",
            f"Please call the reading room at {w.phone()} with questions.",
        ))

    def _header(self, w: _Writer, p: _Patient, accession: str, day: dt.date) -> str:
        """Lines above the report: a patient block (name, MRN, DOB) in a third of them, else
        accession, exam date and ordering physician only."""
        rng, lines = self.rng, []
        if rng.random() < 1 / 3:
            lines.append(f"Patient: {w.put(p.last.upper())}, {w.put(p.first.upper())}    MRN: {w.put(p.pid)}")
            if rng.random() < 0.6:
                lines.append(f"DOB: {w.date(p.birth)}    Sex: {p.sex}")
        if not lines or rng.random() < 0.7:
            lines.append(f"Accession #: {w.put(accession)}    Exam date: {w.date(day)}")
        if rng.random() < 0.5:
            first, last = rng.choice(self.clinicians)
            lines.append(f"Ordering physician: {w.name(first, last)}")
        return "\n".join(lines)

    def _signature(self, w: _Writer, day: dt.date) -> str:
        first, last = self.rng.choice(self.clinicians)
        if self.rng.random() < 0.7:
            return f"Electronically signed by: {w.name(first, last)} on {w.date(day)} at {w.time()}"
        return f"Dictated by: {w.name(first, last)}\nTranscribed: {w.date(day)}"


def _render(parts: dict[str, str], layout: str, rng: random.Random) -> str:
    """The sections in one layout (see LAYOUTS)."""
    if layout in ("own_line", "all_caps") and rng.random() < 0.7:
        return "\n\n".join(f"{HEADERS[k]}:\n{v}" for k, v in parts.items())
    if layout in ("inline", "all_caps", "own_line"):
        return "\n".join(f"{HEADERS[k]}: {v}" for k, v in parts.items())
    if layout == "aliases":
        heads = {k: rng.choice(ALIASES[k]) for k in parts}
        heads = {k: rng.choice((h, h.title())) for k, h in heads.items()}
        return "\n".join(f"{heads[k]}:{rng.choice((' ', chr(10)))}{v}" for k, v in parts.items())
    if layout == "exam_technique_signature":
        lines = [rng.choice(TITLES), f"EXAM: {rng.choice(TITLES).lower().capitalize()}"]
        for k, v in parts.items():
            if k == "findings":
                lines.append(f"TECHNIQUE: {rng.choice(TECHNIQUES)}")
            lines.append(f"{HEADERS[k]}:\n{v}")
        return "\n\n".join(lines)
    if layout == "crlf_wrapped":
        return "\r\n\r\n".join(f"{HEADERS[k]}:\r\n" + textwrap.fill(v, 60).replace("\n", "\r\n")
                               for k, v in parts.items())
    if layout == "run_on":
        return " ".join(f"{HEADERS[k]}: {v}" for k, v in parts.items())
    if layout == "headerless":
        return "\n\n".join(parts.values())
    if layout == "impression_only":
        body = "\n".join(v for k, v in parts.items() if k != "impression")
        return f"{body}\n\nIMPRESSION: {parts['impression']}"
    raise ValueError(f"unknown layout {layout!r}")


def generate(n: int, seed: int = 0) -> Iterator[CorpusReport]:
    """Deterministic for (n, seed); the first k reports of a larger n are not the same as of n=k."""
    return CorpusGenerator(seed).generate(n)


def write(reports: Iterator[CorpusReport], out: Path, parquet: bool = False) -> dict[str, object]:
    """Write the records as JSONL (and Parquet beside it); return counts for a summary."""
    out.parent.mkdir(parents=True, exist_ok=True)
    layouts: Counter[str] = Counter()
    patients: set[str] = set()
    chars = 0
    rows = []
    with out.open("w", encoding="utf-8") as handle:
        for report in reports:
            handle.write(json.dumps(report.record, ensure_ascii=False) + "\n")
            layouts[report.layout] += 1
            patients.add(str(report.record["patient_id"]))
            chars += len(str(report.record["text"]))
            if parquet:
                rows.append(report.record)
    n = sum(layouts.values())
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), out.with_suffix(".parquet"))
    return {"reports": n, "patients": len(patients), "studies_per_patient": round(n / max(1, len(patients)), 3),
            "mean_chars": round(chars / max(1, n), 1),
            "layouts": {k: round(v / n, 4) for k, v in sorted(layouts.items())}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--reports", type=int, default=160_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help="JSONL output (default %(default)s)")
    parser.add_argument("--parquet", action="store_true", help="also write OUT with .parquet")
    args = parser.parse_args(argv)
    if args.reports < 1:
        parser.error("-n must be at least 1")
    summary = write(generate(args.reports, args.seed), args.out, args.parquet)
    print(json.dumps({"out": str(args.out), "seed": args.seed, **summary}, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
