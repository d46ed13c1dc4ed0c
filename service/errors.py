"""Every exception radprep raises on purpose.

    RadprepError                    base; str() never contains report text or other PHI
    ├── ConfigError                 bad or missing settings (e.g. no RADPREP_SECRET)
    ├── InputError                  a whole input file cannot be read (missing, unknown format)
    │   ├── RecordError             one record is invalid; names the record and the field
    │   ├── ManifestMismatchError   a resume differs from its run: secret, options or input (`batch`)
    │   └── DicomError              one DICOM file cannot be converted; names the file and the field
    ├── OutputLockedError           another run is writing the same output (`radprep batch`, `process`)
    ├── OcrError                    tesseract failed on one image (`radprep dicom` makes it a DicomError)
    ├── DependencyError             an optional engine is not installed (says which extra to install)
    ├── BackendError                an LLM backend or a batch engine failed (engine error, HTTP status,
    │                               no reply, results missing or out of order)
    ├── SectionValidationError      an LLM answer is not a valid sectioning of its report
    └── ApiError                    an HTTP request is refused; carries its status and error code
        ├── OverloadedError         429: the service's queue is full (says when to retry)
        └── NotReadyError           503: the models are still loading, or failed to load

A record the pipeline cannot process is not an exception to its caller: `Pipeline.process` turns it
into a `Failure` (its id and the code `processing_failed`, or `timeout` when it ran past its time
budget: `service.budget.ReportTimeout`, raised inside the work and caught there) and goes on with the others.

Third-party errors (pyarrow, json, spaCy, httpx, vLLM, pydicom) are translated into these at the boundary
where they are raised (`service.records` for input parsing, `service.dataset.dicom` for DICOM files).
Messages carry counts, field names, line numbers and types only, so they are safe to log and to show in
HTTP error bodies.
"""

from __future__ import annotations


class RadprepError(Exception):
    """Base class. Its message must never contain PHI."""


class ConfigError(RadprepError):
    """Settings are missing or invalid."""


class InputError(RadprepError):
    """An input file as a whole cannot be read."""


class RecordError(InputError):
    """One input record is invalid.

    `where` locates the record (e.g. "line 7" or "row 3"), `record_id` is the record's id when it
    could be read (ids are caller-chosen keys, not report text), `field` names the offending field.
    """

    def __init__(self, where: str, field: str, problem: str, record_id: str | None = None) -> None:
        self.where = where
        self.field = field
        self.problem = problem
        self.record_id = record_id
        label = f"{where} (id {record_id!r})" if record_id is not None else where
        super().__init__(f"{label}: field '{field}': {problem}")


class ManifestMismatchError(InputError):
    """A resume of `radprep batch` would mix this run with a different earlier one (secret, options or input)."""


class DicomError(InputError):
    """One DICOM file cannot be converted (truncated, no pixel data, compressed without a decoder, ...).

    `file` is the file's path relative to the input folder, `field` the DICOM keyword at fault (or
    "<file>"), `problem` a PHI-free description: never a tag value.
    """

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        super().__init__(f"{file}: {field}: {problem}")


class OutputLockedError(RadprepError):
    """Another process holds the lock of the output (`service.batch.lock`)."""


class OcrError(RadprepError):
    """The OCR engine failed on one image (timeout, exit status); carries no pixel or text content."""


class DependencyError(RadprepError):
    """An optional dependency is missing; the message names the extra to install."""


class BackendError(RadprepError):
    """An LLM backend or a batch engine could not answer (the message has no prompt or report text)."""


class SectionValidationError(RadprepError):
    """An LLM answer failed validation; `reason` is a short code such as "not_verbatim"."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid section answer: {reason}")


class ApiError(RadprepError):
    """An HTTP request that cannot be served. The FastAPI handler turns it into the stable error body
    `{"error": {"code", "message", "field", "record_id", "where", "request_id"}}` with `status`."""

    status: int = 400

    def __init__(self, code: str, message: str, *, status: int | None = None, field: str | None = None,
                 record_id: str | None = None, where: str | None = None, retry_after: int | None = None) -> None:
        self.code = code
        self.message = message
        self.field = field
        self.record_id = record_id
        self.where = where
        self.retry_after = retry_after
        if status is not None:
            self.status = status
        super().__init__(message)


class OverloadedError(ApiError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("overloaded", "too many reports waiting; retry later", retry_after=retry_after)


class NotReadyError(ApiError):
    status = 503

    def __init__(self, message: str = "models are loading", retry_after: int | None = 5) -> None:
        super().__init__("not_ready", message, retry_after=retry_after)
