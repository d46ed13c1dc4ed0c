"""The whole job for a batch of records: de-identify, then split the de-identified text into sections.

Every front-end (`radprep process` and `batch`, the HTTP service, the `--server` client's service,
the Ray actors) calls `Pipeline.process`: records in, one `Outcome` per record out (a report, or a
`Failure` for a record the pipeline could not process), with the counts of what the call did.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from service.backends import Backend, BackendChoice, VllmBackend, choose_backend, create_backend
from service.budget import ReportTimeout, time_limit
from service.deid import Deidentifier, Detector
from service.deid.keys import patient_key
from service.deid.metadata import deidentify_metadata
from service.errors import RadprepError
from service.outcomes import TIMEOUT, BatchResult, Failure, Outcome, Report
from service.records import InputRecord
from service.sections import SECTION_NAMES
from service.sections.router import RouteStats, SectionRouter
from service.sections.task import PROMPTS_DIR, SectionTask
from service.settings import Settings

log = logging.getLogger("radprep")
__all__ = ["BatchResult", "Failure", "Outcome", "Pipeline", "Report", "resolve_backend"]


def resolve_backend(settings: Settings, choice: BackendChoice | None = None) -> Backend | None:
    """The backend the settings ask for (`choose_backend`), or None for rules only. A backend the user
    named is checked now (`Backend.check`: reachable, key, model), so a run that cannot reach its LLM
    fails at start-up (ConfigError) instead of falling back to the rules on every report."""
    choice = choice or choose_backend(settings)
    if choice.backend is None:
        return None
    backend = create_backend(choice.backend, settings)
    if choice.explicit:
        try:
            backend.check()
        except BaseException:
            backend.close()
            raise
    return backend


def given_choice(settings: Settings, backend: Backend) -> BackendChoice:
    """What a pipeline built around a backend handed in (tests, benchmarks) uses."""
    return BackendChoice(settings.route, backend.name, None, "backend given by the caller", settings.route,
                         backend.name)


def section_task(settings: Settings, backend: Backend | None) -> SectionTask:
    """The section task for this backend: the settings' mode and prompt version where given, else those
    of the vLLM model's profile (a fine-tuned model answers in the format it was trained on, and its profile
    may decode its letters with the heuristic: `joint_weight`), else spans/v1."""
    profile = backend.profile if isinstance(backend, VllmBackend) else None
    mode = settings.mode or (profile.mode if profile else "spans")
    version = settings.prompt_version or (profile.prompt_version if profile else "v1")
    return SectionTask(mode, version, settings.prompts_dir or PROMPTS_DIR, profile.joint_weight if profile else None)


class Pipeline:
    """Records in, outcomes out (the CLI's JSONL lines and the HTTP responses)."""

    def __init__(self, settings: Settings, secret: bytes, detector: Detector | None = None,
                 backend: Backend | None = None) -> None:
        self.settings = settings
        # the backend first: a backend that cannot work fails before the de-identification models load
        self.choice = given_choice(settings, backend) if backend is not None else choose_backend(settings)
        self.backend = backend if backend is not None else resolve_backend(settings, self.choice)
        try:
            self.deidentifier = Deidentifier(detector or Detector(settings), secret)
        except BaseException:
            if backend is None and self.backend is not None:
                self.backend.close()
            raise
        task = section_task(settings, self.backend)
        self.router = SectionRouter(self.choice.route if self.backend is not None else "rules", self.backend, task)

    def process(self, records: Sequence[InputRecord]) -> BatchResult:
        """Outcomes for `records`, in order. A batch that raises an unexpected error (a bug met by one
        odd report) or runs out of time is retried record by record, so one report cannot stop the
        others: a record that still fails becomes a Failure with the exception's type only (its message
        may quote the report), one that still runs past `max_report_seconds` a Failure `timeout`.
        Settings and dependency errors (`RadprepError`) are not per record and propagate."""
        stats = RouteStats()
        if not records:
            return BatchResult([], stats)
        try:
            reports, stats = self.report_batch(records)
            return BatchResult(list(reports), stats)
        except RadprepError:
            raise
        except ReportTimeout:
            if len(records) == 1:
                log.warning("record %r: over the time budget of %g s; see the errors file", records[0].id,
                            self.settings.max_report_seconds)
                return BatchResult([Failure(records[0].id, f"timeout (over the time budget of "
                                            f"{self.settings.max_report_seconds:g} s)", code=TIMEOUT)], stats)
        except Exception as exc:
            if len(records) == 1:
                log.warning("record %r: processing failed (%s); see the errors file", records[0].id,
                            type(exc).__name__)
                return BatchResult([Failure(records[0].id, f"processing failed ({type(exc).__name__})")], stats)
        outcomes: list[Outcome] = []
        for record in records:
            one = self.process([record])
            outcomes.extend(one.outcomes)
            stats.add(one.stats)
        return BatchResult(outcomes, stats)

    def report_batch(self, records: Sequence[InputRecord]) -> tuple[list[Report], RouteStats]:
        """The reports of `records`, all or nothing (no isolation: `process` adds it). The work on the
        text (de-identification, the rules sectioner) has `max_report_seconds` for the batch, so a batch
        with a report that runs out of time is retried record by record, each with the whole budget.
        LLM calls are outside the budget: the backends have timeouts of their own."""
        keys = [str(patient_key(r.patient_id, r.metadata.get("PatientID"), r.id)) for r in records]
        with time_limit(self.settings.max_report_seconds):
            results = self.deidentifier.deidentify_batch([r.text for r in records], keys)
            texts = [r.text for r in results]
            rules = self.router.rules_batch(texts)
        sectioned, stats = self.router.split_batch(texts, rules)
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
        return outputs, stats

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
