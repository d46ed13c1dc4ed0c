"""The HTTP contract as pydantic models: they document the API in /openapi.json.

Request bodies are not parsed by FastAPI: the handlers read the raw body (to enforce the size limit
and give our own errors) and validate it with `service.records.validate`, the same rules as the CLI's
input. These models describe those rules for clients and for schemathesis.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.records import MAX_ID_CHARS

MetadataValue = str | int | float | None


class Metadata(BaseModel):
    """Study metadata (the ReXGradient-160K fields). PatientID and AccessionNumber are pseudonymised,
    StudyDate shifted with the patient's dates, InstitutionName replaced, PatientAge ≥ 90 capped.
    In the output, PatientWeight is a number and every other field text (a number given becomes its
    digits: StudyDate 20210305 → "20210305"); an empty value is null."""

    model_config = ConfigDict(extra="forbid")

    PatientID: MetadataValue = None
    AccessionNumber: MetadataValue = None
    PatientSex: MetadataValue = None
    EthnicGroup: MetadataValue = None
    PatientAge: MetadataValue = None
    PatientWeight: MetadataValue = None
    StudyDate: MetadataValue = Field(default=None, description="YYYYMMDD")
    InstitutionName: MetadataValue = None
    Manufacturer: MetadataValue = None


class ReportIn(BaseModel):
    """One raw report, as a line of `radprep process` input."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS, description="your key for the report; echoed back")
    text: str = Field(min_length=1, pattern=r"\S", description="the raw report (not empty, no binary data)")
    patient_id: str | None = Field(default=None, description="keys the date shift and the patient pseudonym")
    metadata: Metadata | None = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[ReportIn] = Field(min_length=1, description="at most RADPREP_API__MAX_BATCH records")


class Sections(BaseModel):
    indication: str | None
    comparison: str | None
    findings: str | None
    impression: str | None


class EntityOut(BaseModel):
    type: str = Field(description="PERSON, DATE, ID, PHONE, ... (the surrogate's kind, never the original)")
    start: int
    end: int


class ReportOut(BaseModel):
    """One line of `radprep process` output."""

    id: str
    patient_id: str | None
    text: str = Field(description="the de-identified report")
    sections: Sections
    entities: list[EntityOut]
    metadata: dict[str, Any]
    warnings: list[str]


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable kind, e.g. invalid_record, too_large, overloaded")
    message: str = Field(description="for people; never contains report text")
    field: str | None = Field(default=None, description="the field at fault, e.g. text or records[3].text")
    record_id: str | None = None
    where: str | None = Field(default=None, description="the record's place: body, or records[i] in a batch")
    request_id: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class BatchItem(BaseModel):
    status: Literal["ok", "error"]
    report: ReportOut | None = None
    error: ErrorDetail | None = Field(default=None, description="the same shape as every other error")


class BatchOut(BaseModel):
    results: list[BatchItem] = Field(description="one per input record, in order")


class Health(BaseModel):
    status: str


class Asked(BaseModel):
    route: str
    backend: str


class Ready(BaseModel):
    """What the service really uses: `route` and `backend` as resolved (`auto` with no LLM is route rules,
    backend null), the model, why, and what the settings asked for."""

    status: str
    route: str = Field(description="the route in use: rules when no LLM is used")
    backend: str | None = Field(description="the LLM backend in use; null: none")
    model: str | None = Field(description="the backend's model: a vllm profile or an OpenAI model name")
    reason: str = Field(description="why this backend (or none), for people")
    asked: Asked = Field(description="the route and backend the settings asked for")
