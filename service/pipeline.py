"""The whole job for a batch of records: de-identify, then split the de-identified text into sections."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from service.backends import Backend, VllmBackend, create_backend, load_profile
from service.deid import Deidentifier, Detector
from service.deid.metadata import deidentify_metadata
from service.records import InputRecord
from service.sections import SECTION_NAMES
from service.sections.router import SectionRouter
from service.sections.task import PROMPTS_DIR, SectionTask
from service.settings import Settings

log = logging.getLogger("radprep")


def patient_key(record: InputRecord) -> str:
    """What a record's date shift is keyed by: its patient_id, else metadata PatientID, else its id
    (then the report is its own patient: consistent within the report, not across reports)."""
    if record.patient_id:
        return f"patient:{record.patient_id}"
    meta_id = record.metadata.get("PatientID")
    if meta_id not in (None, ""):
        return f"patient:{meta_id}"
    return f"record:{record.id}"


def resolve_backend(settings: Settings) -> Backend | None:
    """The backend the settings ask for, or None for rules only. `auto` takes vLLM when it is
    installed, its model built and the model's profile allows automatic use; otherwise no LLM."""
    if settings.route == "rules":
        return None
    name = settings.backend
    if name == "auto":
        profile = load_profile(settings.model)
        if not profile.use_in_auto:
            log.info("model %s is not used automatically (it sections worse than the rules); reports without "
                     "clear headers get the heuristic split. Choose --backend vllm or openai for an LLM", profile.name)
            return None
        if not (VllmBackend.is_available and (profile.local_path / "config.json").is_file()):
            log.warning("no LLM available (vLLM or its model missing): reports without clear headers get the "
                        "heuristic split; install radprep[cpu] and build a model, or choose --backend openai")
            return None
        name = "vllm"
    return create_backend(name, model=settings.model, openai=settings.openai)


class Pipeline:
    """Records in, output dicts out (the CLI's JSONL lines and the HTTP responses)."""

    def __init__(self, settings: Settings, secret: bytes, detector: Detector | None = None,
                 backend: Backend | None = None) -> None:
        self.settings = settings
        self.deidentifier = Deidentifier(detector or Detector(settings), secret)
        task = SectionTask(settings.mode, settings.prompt_version, settings.prompts_dir or PROMPTS_DIR)
        self.backend = backend if backend is not None else resolve_backend(settings)
        self.router = SectionRouter(settings.route if self.backend is not None else "rules", self.backend, task)

    def process(self, records: Sequence[InputRecord]) -> list[dict[str, Any]]:
        keys = [patient_key(r) for r in records]
        results = self.deidentifier.deidentify_batch([r.text for r in records], keys)
        sectioned = self.router.split_batch([r.text for r in results])
        outputs = []
        for record, key, result, split in zip(records, keys, results, sectioned, strict=True):
            patient = self.deidentifier.patient(key)
            metadata, warnings = deidentify_metadata(record.metadata, self.deidentifier.surrogates, patient)
            warnings.extend(split.warnings)
            pid = record.patient_id or record.metadata.get("PatientID")
            outputs.append({
                "id": record.id,
                "patient_id": self.deidentifier.surrogates.identifier(str(pid)) if pid not in (None, "") else None,
                "text": result.text,
                "sections": {name: split.result.sections[name] for name in SECTION_NAMES},
                "entities": [{"type": e.type, "start": e.start, "end": e.end} for e in result.entities],
                "metadata": metadata,
                "warnings": warnings,
            })
        return outputs
