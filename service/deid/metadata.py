"""De-identification of the study metadata fields (those of the ReXGradient-160K release).

With the same secret and patient as the report text: PatientID and AccessionNumber map like
identifiers in the text (same value → same surrogate), StudyDate (YYYYMMDD) shifts by the patient's
offset, InstitutionName maps like an institution in the text, PatientAge of 90 or more is capped
("092Y" → "090Y", 95 → "90", meaning 90 or older). PatientSex, EthnicGroup, PatientWeight and
Manufacturer are not identifying on their own and pass through.

**One type per field**, whatever the input format gave (JSONL numbers or strings, CSV text, Parquet
int64 or double), so the same record gives the same output from any of them and the output reads
back alike from JSONL, CSV and Parquet: `PatientWeight` is a number (kg, a float: 70 → 70.0, "70.5"
→ 70.5; text that is not a number is removed with a warning); every other field is text (a number
becomes its decimal digits: 20210305 → "20210305", 45 → "45", 45.0 → "45"). An empty value is null.
"""

from __future__ import annotations

import math
import re

from service.deid.dates import shift_compact
from service.deid.keys import PatientContext
from service.deid.surrogates import Surrogates

MetadataValue = str | int | float | None
_DICOM_AGE = re.compile(r"^(\d{1,3})([YMWD]?)$", re.IGNORECASE)
AGE_CAP = 90
NUMBER_FIELDS = frozenset({"PatientWeight"})  # every other metadata field is text


def as_text(value: str | int | float) -> str:
    """A metadata value as text: numbers as their decimal digits (an integral float without ".0")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_number(value: str | int | float) -> float | None:
    """A metadata value as a float; None for text that is not a finite number."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def cap_age(value: MetadataValue) -> tuple[MetadataValue, bool]:
    """The age with 90 and over capped at 90, and whether it was capped."""
    if value is None or isinstance(value, float) and value != value:
        return value, False
    if isinstance(value, (int, float)):
        return (AGE_CAP, True) if value >= AGE_CAP else (value, False)
    m = _DICOM_AGE.match(value.strip())
    if m is None or m.group(2).upper() not in ("", "Y"):
        return value, False
    years = int(m.group(1))
    if years < AGE_CAP:
        return value, False
    return f"{AGE_CAP:0{len(m.group(1))}d}{m.group(2)}", True


def deidentify_metadata(
    metadata: dict[str, MetadataValue], surrogates: Surrogates, patient: PatientContext
) -> tuple[dict[str, MetadataValue], list[str]]:
    """(de-identified metadata, warnings), each field of its one type (module docstring). Warnings name
    fields only."""
    out: dict[str, MetadataValue] = {}
    warnings: list[str] = []
    for key, value in metadata.items():
        if value is None or value == "":
            out[key] = None
        elif key in NUMBER_FIELDS:
            out[key] = as_number(value)
            if out[key] is None:
                warnings.append(f"metadata.{key}: not a number; removed")
        elif key in ("PatientID", "AccessionNumber"):
            out[key] = surrogates.identifier(as_text(value))
        elif key == "StudyDate":
            shifted = shift_compact(as_text(value).strip(), patient.date_offset_days)
            if shifted is None:
                out[key] = None
                warnings.append("metadata.StudyDate: not a YYYYMMDD date; removed")
            else:
                out[key] = shifted
        elif key == "InstitutionName":
            out[key] = surrogates.institution(as_text(value))
        elif key == "PatientAge":
            age, capped = cap_age(value)
            out[key] = as_text(age) if age is not None else None
            if capped:
                warnings.append("metadata.PatientAge: 90 or over; capped at 90")
        else:
            out[key] = as_text(value)
    return out, warnings
