"""De-identification of the study metadata fields (those of the ReXGradient-160K release).

With the same secret and patient as the report text: PatientID and AccessionNumber map like
identifiers in the text (same value → same surrogate), StudyDate (YYYYMMDD) shifts by the patient's
offset, InstitutionName maps like an institution in the text, PatientAge of 90 or more is capped
("092Y" → "090Y", 95 → 90, meaning 90 or older). PatientSex, EthnicGroup, PatientWeight and
Manufacturer are not identifying on their own and pass through.
"""

from __future__ import annotations

import re

from service.deid.dates import shift_compact
from service.deid.keys import PatientContext
from service.deid.surrogates import Surrogates

MetadataValue = str | int | float | None
_DICOM_AGE = re.compile(r"^(\d{1,3})([YMWD]?)$", re.IGNORECASE)
AGE_CAP = 90


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
    """(de-identified metadata, warnings). Warnings name fields only."""
    out: dict[str, MetadataValue] = {}
    warnings: list[str] = []
    for key, value in metadata.items():
        if value is None or value == "":
            out[key] = value
        elif key in ("PatientID", "AccessionNumber"):
            out[key] = surrogates.identifier(str(value))
        elif key == "StudyDate":
            shifted = shift_compact(str(value).strip(), patient.date_offset_days)
            if shifted is None:
                out[key] = None
                warnings.append("metadata.StudyDate: not a YYYYMMDD date; removed")
            else:
                out[key] = shifted
        elif key == "InstitutionName":
            out[key] = surrogates.institution(str(value))
        elif key == "PatientAge":
            out[key], capped = cap_age(value)
            if capped:
                warnings.append("metadata.PatientAge: 90 or over; capped at 90")
        else:
            out[key] = value
    return out, warnings
