"""The whole job for a batch of records: de-identify, then split the de-identified text into sections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.deid import Deidentifier, Detector
from service.deid.metadata import deidentify_metadata
from service.records import InputRecord
from service.sections import SECTION_NAMES, RulesSectioner
from service.settings import Settings

CONFIDENT = 0.9


def patient_key(record: InputRecord) -> str:
    """What a record's date shift is keyed by: its patient_id, else metadata PatientID, else its id
    (then the report is its own patient: consistent within the report, not across reports)."""
    if record.patient_id:
        return f"patient:{record.patient_id}"
    meta_id = record.metadata.get("PatientID")
    if meta_id not in (None, ""):
        return f"patient:{meta_id}"
    return f"record:{record.id}"


class Pipeline:
    """Records in, output dicts out (the CLI's JSONL lines and the HTTP responses)."""

    def __init__(self, settings: Settings, secret: bytes, detector: Detector | None = None) -> None:
        self.settings = settings
        self.deidentifier = Deidentifier(detector or Detector(settings), secret)
        self.sectioner = RulesSectioner()

    def process(self, records: Sequence[InputRecord]) -> list[dict[str, Any]]:
        keys = [patient_key(r) for r in records]
        results = self.deidentifier.deidentify_batch([r.text for r in records], keys)
        outputs = []
        for record, key, result in zip(records, keys, results, strict=True):
            patient = self.deidentifier.patient(key)
            metadata, warnings = deidentify_metadata(record.metadata, self.deidentifier.surrogates, patient)
            split = self.sectioner.split(result.text)
            if split.confidence < CONFIDENT:
                warnings.append(f"sections: rules confidence {split.confidence:.2f} ({', '.join(split.reasons)})")
            pid = record.patient_id or record.metadata.get("PatientID")
            outputs.append({
                "id": record.id,
                "patient_id": self.deidentifier.surrogates.identifier(str(pid)) if pid not in (None, "") else None,
                "text": result.text,
                "sections": {name: split.sections[name] for name in SECTION_NAMES},
                "entities": [{"type": e.type, "start": e.start, "end": e.end} for e in result.entities],
                "metadata": metadata,
                "warnings": warnings,
            })
        return outputs
