"""The in-process engine, and what every engine returns per record: a report, or a `Failure`.

A batch that raises an unexpected error (a bug met by one odd report) is retried record by record,
so one report cannot stop a corpus: the records that still fail become `Failure`s in the errors file.
Settings and dependency errors (`RadprepError`) are not per-record and stop the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from service.errors import RadprepError, RecordError
from service.records import InputRecord

if TYPE_CHECKING:
    from service.pipeline import Pipeline

log = logging.getLogger("radprep")


@dataclass(frozen=True)
class Failure:
    """A record that produced no report. `error` is PHI-free: a type name or a server's error message."""

    id: str | None
    error: str
    where: str | None = None
    field: str | None = None

    @classmethod
    def from_record_error(cls, exc: RecordError) -> Failure:
        return cls(exc.record_id, exc.problem, exc.where, exc.field)

    def entry(self) -> dict[str, Any]:
        """The errors-file line (the same shape as `radprep process` writes)."""
        return {"where": self.where, "id": self.id, "field": self.field, "error": self.error}


Outcome = dict[str, Any] | Failure


def process_batch(pipeline: Pipeline, records: Sequence[InputRecord]) -> list[Outcome]:
    """Reports for `records`, in order; a record the pipeline cannot process becomes a Failure."""
    if not records:
        return []
    try:
        return list(pipeline.process(records))
    except RadprepError:
        raise
    except Exception as exc:  # a bug met by some report: isolate it, keep the others
        if len(records) == 1:
            # the type only: an exception's message may quote report text
            log.warning("record %r: processing failed (%s); see the errors file", records[0].id, type(exc).__name__)
            return [Failure(records[0].id, f"processing failed ({type(exc).__name__})")]
    return [outcome for record in records for outcome in process_batch(pipeline, [record])]


class LocalEngine:
    """One Pipeline in this process, one batch at a time."""

    name = "in-process"

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    @property
    def llm_calls(self) -> int | None:
        return self.pipeline.router.stats.llm_calls

    def run(self, batches: Iterator[list[InputRecord]]) -> Iterator[list[Outcome]]:
        for records in batches:
            yield process_batch(self.pipeline, records)

    def close(self) -> None:
        close = getattr(self.pipeline.backend, "close", None)
        if close is not None:
            close()
