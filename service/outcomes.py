"""What the pipeline gives back per record: a report, or a `Failure` naming the record and a code.

Light on purpose (no models, no engines): the batch writers, the `--server` client and the HTTP
service read these without loading the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.errors import RecordError
from service.sections.router import RouteStats

Report = dict[str, Any]
PROCESSING_FAILED = "processing_failed"
TIMEOUT = "timeout"  # the report ran past RADPREP_MAX_REPORT_SECONDS


@dataclass(frozen=True)
class Failure:
    """A record that produced no report. `error` is PHI-free: a type name or a server's error message;
    `code` is a stable kind (`processing_failed`, `timeout`, `invalid_record`, `server_error`)."""

    id: str | None
    error: str
    where: str | None = None
    field: str | None = None
    code: str = PROCESSING_FAILED

    @classmethod
    def from_record_error(cls, exc: RecordError) -> Failure:
        return cls(exc.record_id, exc.problem, exc.where, exc.field, "invalid_record")

    def entry(self) -> dict[str, Any]:
        """The errors-file line."""
        return {"where": self.where, "id": self.id, "field": self.field, "error": self.error}


Outcome = Report | Failure


@dataclass
class BatchResult:
    """One outcome per record, in order, and the counts of the sectioning events of this call."""

    outcomes: list[Outcome]
    stats: RouteStats
