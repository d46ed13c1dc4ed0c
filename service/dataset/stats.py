"""Table 1 (studies, images, patients, section lengths) and Table 2 (age, sex) of processed output.

Input is `radprep process` output: a folder of split files (`train.jsonl`, `validation.jsonl`,
`test.jsonl`, or the same names in .csv or .parquet, as `radprep split` writes them) or one file, the
split "all", read by `service.output.read_output` whatever its format. Every record is a
study. Images come from the index of `radprep dicom` (`images.jsonl`), joined on the patient
pseudonym and the de-identified AccessionNumber, which the two commands derive alike.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.dataset.rows import Row, group_key, metadata_of, read_rows
from service.dataset.split import SPLIT_NAMES
from service.errors import InputError, RecordError
from service.sections import SECTION_NAMES

log = logging.getLogger("radprep")

TOKEN = re.compile(r"\w+|[^\w\s]")
TOKENIZER = r"regex word tokenizer `\w+|[^\w\s]` (a run of letters, digits or underscores, or one punctuation mark)"
AGE_BINS = ("0-20", "20-40", "40-60", "60-80", "80+")
SEXES = ("M", "F", "U")
OUTPUT_SUFFIXES = (".jsonl", ".csv", ".parquet")
UNKNOWN = "unknown"
_AGE = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)\s*([YMWD])?\s*(\+)?\s*$", re.IGNORECASE)
_DAYS_PER_UNIT = {"Y": 365.25, "M": 365.25 / 12, "W": 7.0, "D": 1.0}
StudyKey = tuple[str, str]


def count_tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def age_years(value: object) -> float | None:
    """Years from a DICOM age string ("045Y", "006M", "010W", "003D"), a number or "90+"; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if 0 <= value < 200 else None
    if not isinstance(value, str):
        return None
    m = _AGE.match(value)
    if m is None:
        return None
    unit = (m.group(2) or "Y").upper()
    return float(m.group(1)) * _DAYS_PER_UNIT[unit] / 365.25


def age_bin(value: object) -> str:
    years = age_years(value)
    if years is None:
        return UNKNOWN
    index = min(int(years // 20), len(AGE_BINS) - 1)
    return AGE_BINS[index]


def sex_label(value: object) -> str:
    text = str(value).strip().upper() if isinstance(value, str) else ""
    return {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F"}.get(text, "U")


@dataclass
class SplitStats:
    """What the tables need from one split, accumulated record by record."""

    studies: int = 0
    images: int = 0
    studies_with_images: int = 0
    patients: set[str] = field(default_factory=set)
    tokens: dict[str, list[int]] = field(default_factory=lambda: {name: [] for name in SECTION_NAMES})
    ages: Counter[str] = field(default_factory=Counter)
    sexes: Counter[str] = field(default_factory=Counter)

    def add(self, row: Row, images: dict[StudyKey, int] | None) -> None:
        sections = row.data.get("sections")
        if not isinstance(sections, dict):
            raise RecordError(row.where, "sections", "missing: not `radprep process` output", _id(row))
        meta = metadata_of(row)
        key = group_key(row)
        self.studies += 1
        self.patients.add(key)
        for name in SECTION_NAMES:
            text = sections.get(name)
            if isinstance(text, str) and text.strip():
                self.tokens[name].append(count_tokens(text))
        self.ages[age_bin(meta.get("PatientAge"))] += 1
        self.sexes[sex_label(meta.get("PatientSex"))] += 1
        if images is not None:
            found = images.get(study_key(row.data.get("patient_id"), meta.get("AccessionNumber")) or ("", ""), 0)
            self.images += found
            self.studies_with_images += found > 0

    def merge(self, other: SplitStats) -> None:
        self.studies += other.studies
        self.images += other.images
        self.studies_with_images += other.studies_with_images
        self.patients |= other.patients
        for name in SECTION_NAMES:
            self.tokens[name].extend(other.tokens[name])
        self.ages.update(other.ages)
        self.sexes.update(other.sexes)

    def mean_tokens(self, name: str) -> float | None:
        counts = self.tokens[name]
        return sum(counts) / len(counts) if counts else None


def _id(row: Row) -> str | None:
    value = row.data.get("id")
    return value if isinstance(value, str) and len(value) <= 256 else None


def study_key(patient_id: object, accession: object) -> StudyKey | None:
    """How a report and its images meet: the patient pseudonym and the de-identified AccessionNumber."""
    if patient_id in (None, "") or accession in (None, ""):
        return None
    return str(patient_id), str(accession)


def split_files(source: Path) -> list[tuple[str, Path]]:
    """(split name, file) pairs: the split files of a folder (`train.jsonl`, `.csv` or `.parquet`, as
    `radprep split` writes them), or one file as the split "all"."""
    if source.is_dir():
        found = []
        for name in SPLIT_NAMES:
            files = [source / f"{name}{suffix}" for suffix in OUTPUT_SUFFIXES if (source / f"{name}{suffix}").is_file()]
            if len(files) > 1:
                raise InputError(f"{source}: {' and '.join(f.name for f in files)} both exist: which is the split?")
            found += [(name, f) for f in files]
        if not found:
            raise InputError(f"{source}: no {', '.join(f'{n}.jsonl' for n in SPLIT_NAMES)} (or .csv, .parquet) "
                             "in this folder")
        return found
    if not source.is_file():
        raise InputError(f"input not found: {source}")
    return [("all", source)]


def read_image_counts(index: Path) -> dict[StudyKey, int]:
    """Images per study from `radprep dicom`'s index (one line per image)."""
    if not index.is_file():
        raise InputError(f"image index not found: {index}")
    counts: Counter[StudyKey] = Counter()
    for item in read_rows(index):
        if isinstance(item, RecordError):
            raise InputError(f"{index.name}: {item}")
        meta = item.data.get("metadata")
        accession = meta.get("AccessionNumber") if isinstance(meta, dict) else None
        key = study_key(item.data.get("patient_id"), accession)
        if key is not None:
            counts[key] += 1
    return dict(counts)


def collect(source: Path, images: dict[StudyKey, int] | None) -> tuple[dict[str, SplitStats], list[RecordError]]:
    """Stats per split, and the records that could not be counted."""
    out: dict[str, SplitStats] = {}
    errors: list[RecordError] = []
    for name, path in split_files(source):
        stats = out[name] = SplitStats()
        for item in read_rows(path):
            if isinstance(item, RecordError):
                errors.append(RecordError(f"{path.name} {item.where}", item.field, item.problem, item.record_id))
                continue
            try:
                stats.add(item, images)
            except RecordError as exc:
                errors.append(RecordError(f"{path.name} {exc.where}", exc.field, exc.problem, exc.record_id))
    return out, errors


def overall(per_split: dict[str, SplitStats]) -> SplitStats:
    total = SplitStats()
    for stats in per_split.values():
        total.merge(stats)
    return total


def shared_patients(per_split: dict[str, SplitStats]) -> int:
    """Patients with studies in more than one split (0 after `radprep split`)."""
    seen: Counter[str] = Counter()
    for stats in per_split.values():
        seen.update(stats.patients)
    return sum(1 for n in seen.values() if n > 1)


# -- markdown ---------------------------------------------------------------------------------------
def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "–"


def markdown(per_split: dict[str, SplitStats], with_images: bool) -> str:
    rows = dict(per_split)
    if len(per_split) > 1:
        rows["total"] = overall(per_split)
    sections = " | ".join(SECTION_NAMES)
    out = [
        "## Table 1. Studies, images, patients and mean section length (tokens)", "",
        f"| split | studies | images | patients | {sections} |",
        "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in SECTION_NAMES) + " |",
    ]
    for name, s in rows.items():
        means = " | ".join(f"{m:.1f}" if (m := s.mean_tokens(n)) is not None else "–" for n in SECTION_NAMES)
        images = f"{s.images:,}" if with_images else "–"
        out.append(f"| {name} | {s.studies:,} | {images} | {len(s.patients):,} | {means} |")
    out += ["", f"Tokens: {TOKENIZER}. A section's mean is over the studies that have it:", "",
            f"| split | {sections} |", "| --- | " + " | ".join("---:" for _ in SECTION_NAMES) + " |"]
    for name, s in rows.items():
        present = " | ".join(f"{_pct(len(s.tokens[n]), s.studies)}%" for n in SECTION_NAMES)
        out.append(f"| {name} (% present) | {present} |")
    out.append("")
    if with_images:
        joined = sum(s.studies_with_images for s in per_split.values())
        studies = sum(s.studies for s in per_split.values())
        out += [f"Images: from the `radprep dicom` index, joined on patient pseudonym and AccessionNumber; "
                f"{joined:,} of {studies:,} studies have images.", ""]
    else:
        out += ["Images: not counted (give the `radprep dicom` index with `--images`).", ""]
    leaked = shared_patients(per_split)
    if len(per_split) > 1:
        out += [f"Patients in more than one split: {leaked:,}.", ""]
    out += [
        "## Table 2. Age (years) and sex, % of studies", "",
        "| split | " + " | ".join((*AGE_BINS, "age unknown", *SEXES)) + " |",
        "| --- | " + " | ".join("---:" for _ in range(len(AGE_BINS) + 1 + len(SEXES))) + " |",
    ]
    for name, s in rows.items():
        cells = [_pct(s.ages[b], s.studies) for b in (*AGE_BINS, UNKNOWN)]
        cells += [_pct(s.sexes[x], s.studies) for x in SEXES]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "Age bins include their lower bound (20-40 is 20 to under 40); 80+ includes ages capped at 90. "
            "Sex: PatientSex M or F, else U.", ""]
    return "\n".join(out)


def as_json(per_split: dict[str, SplitStats]) -> dict[str, Any]:
    """The same figures for machines (`--json`)."""
    out: dict[str, Any] = {"tokenizer": TOKENIZER, "splits": {}}
    for name, s in {**per_split, **({"total": overall(per_split)} if len(per_split) > 1 else {})}.items():
        out["splits"][name] = {
            "studies": s.studies, "images": s.images, "studies_with_images": s.studies_with_images,
            "patients": len(s.patients),
            "mean_tokens": {n: s.mean_tokens(n) for n in SECTION_NAMES},
            "sections_present": {n: len(s.tokens[n]) for n in SECTION_NAMES},
            "age": {b: s.ages[b] for b in (*AGE_BINS, UNKNOWN)},
            "sex": {x: s.sexes[x] for x in SEXES},
        }
    out["patients_in_several_splits"] = shared_patients(per_split)
    return out
