"""Input records: reading JSONL, CSV and Parquet, and validating each record.

A bad record raises `RecordError` naming where it is (line or row), its id when readable and the
field at fault; readers yield it in place of the record so callers can log it and go on.
Messages never quote field values (they may hold PHI): only names, types and sizes.

What passes `validate` is safe for every later step: strings are valid Unicode (no lone surrogates,
which cannot be encoded as UTF-8), numbers are finite and within ±2**53, ids and metadata values are
bounded in length. JSON is decoded with `decode_json`, which turns too-deep nesting and integers too
long to convert into errors (of the record, not of the run).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.errors import InputError, RecordError

METADATA_FIELDS = (
    "PatientID", "AccessionNumber", "PatientSex", "EthnicGroup", "PatientAge",
    "PatientWeight", "StudyDate", "InstitutionName", "Manufacturer",
)
RECORD_FIELDS = ("id", "text", "patient_id", "metadata")
TABULAR_COLUMNS = (*RECORD_FIELDS, *METADATA_FIELDS)  # CSV and Parquet input: metadata fields as columns too
MAX_ID_CHARS = 256
MAX_METADATA_CHARS = 1024
MAX_NUMBER = 2**53  # larger integers lose precision in most JSON readers
_MAX_INT_DIGITS = 20


@dataclass(frozen=True, slots=True)
class InputRecord:
    id: str
    text: str
    patient_id: str | None = None
    metadata: dict[str, str | int | float | None] = field(default_factory=dict)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


def field_label(name: str) -> str:
    """A field name as errors may show it: names like identifiers as they are; any other key (it could
    be a value put in the wrong place, e.g. a patient's name) as a placeholder."""
    return name if _IDENTIFIER.match(name) else "<unnamed field>"


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null",
            HugeInt: "int"}.get(type(value), type(value).__name__)


class HugeInt:
    """What `decode_json` gives for an integer literal of more than 20 digits, in place of converting it
    (Python refuses over 4,300 digits, and the conversion is quadratic): `validate` refuses it by field."""

    __slots__ = ()


def _parse_int(literal: str) -> int | HugeInt:
    return int(literal) if len(literal.lstrip("-")) <= _MAX_INT_DIGITS else HugeInt()


class NestingError(ValueError):
    """JSON nested deeper than the decoder's recursion limit."""


def decode_json(text: str) -> Any:
    """A decoded JSON value; json.JSONDecodeError for bad JSON, RecursionError-free: JSON nested too deep
    raises `NestingError`. NaN and ±Infinity literals (and 1e999) decode to floats that `validate` refuses."""
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise NestingError from None


def _bad_string(value: str) -> bool:
    """True for a string that is not valid Unicode text (a lone surrogate: it cannot be written as UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _number_problem(value: int | float | HugeInt) -> str | None:
    if isinstance(value, HugeInt):
        return f"number out of range (more than {_MAX_INT_DIGITS} digits)"
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number (NaN or infinity)"
    if abs(value) > MAX_NUMBER:
        return "number out of range (beyond ±2**53)"
    return None


def validate(raw: object, where: str, max_text_chars: int, tabular: bool = False) -> InputRecord:
    """An InputRecord from a decoded JSON object (or, `tabular`, a CSV/Parquet row whose metadata columns
    are folded into `metadata`), or RecordError. An unknown field or column is answered with the names
    allowed, never with its value."""
    if not isinstance(raw, dict):
        raise RecordError(where, "<record>", f"expected a JSON object, got {_type_name(raw)}")
    record_id = raw.get("id")
    shown_id = (record_id if isinstance(record_id, str) and 0 < len(record_id) <= MAX_ID_CHARS
                and not _bad_string(record_id) else None)
    unknown = sorted(field_label(k) if isinstance(k, str) and not _bad_string(k) else "<unnamed field>"
                     for k in raw if k not in RECORD_FIELDS)
    if unknown:
        if tabular:
            raise RecordError(where, unknown[0], f"unknown column (allowed: {', '.join(TABULAR_COLUMNS)})", shown_id)
        raise RecordError(where, unknown[0], f"unknown field (allowed: {', '.join(RECORD_FIELDS)})", shown_id)
    if record_id is None or record_id == "":
        raise RecordError(where, "id", "required", None)
    if not isinstance(record_id, str):
        raise RecordError(where, "id", f"expected a string, got {_type_name(record_id)}")
    if len(record_id) > MAX_ID_CHARS:
        raise RecordError(where, "id", f"longer than {MAX_ID_CHARS} characters")
    if _bad_string(record_id):
        raise RecordError(where, "id", _SURROGATE)
    text = raw.get("text")
    if text is None:
        raise RecordError(where, "text", "required", record_id)
    if not isinstance(text, str):
        raise RecordError(where, "text", f"expected a string, got {_type_name(text)}", record_id)
    if not text.strip():
        raise RecordError(where, "text", "empty", record_id)
    if len(text) > max_text_chars:
        raise RecordError(where, "text", f"{len(text)} characters, over the limit of {max_text_chars}", record_id)
    if _bad_string(text):
        raise RecordError(where, "text", _SURROGATE, record_id)
    if _looks_binary(text):
        raise RecordError(where, "text", "contains binary data (NUL or control characters)", record_id)
    patient_id = raw.get("patient_id")
    if patient_id is not None:
        if not isinstance(patient_id, str):
            raise RecordError(where, "patient_id", f"expected a string or null, got {_type_name(patient_id)}",
                              record_id)
        if len(patient_id) > MAX_ID_CHARS:
            raise RecordError(where, "patient_id", f"longer than {MAX_ID_CHARS} characters", record_id)
        if _bad_string(patient_id):
            raise RecordError(where, "patient_id", _SURROGATE, record_id)
    metadata = raw.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise RecordError(where, "metadata", f"expected an object, got {_type_name(metadata)}", record_id)
    for key, value in metadata.items():
        if key not in METADATA_FIELDS:
            label = field_label(key) if isinstance(key, str) and not _bad_string(key) else "<unnamed field>"
            raise RecordError(where, f"metadata.{label}", "unknown metadata field", record_id)
        _check_metadata_value(value, where, f"metadata.{key}", record_id)
    return InputRecord(record_id, text, patient_id or None, dict(metadata))


_SURROGATE = "not valid Unicode text (a lone surrogate)"


def _check_metadata_value(value: object, where: str, name: str, record_id: str) -> None:
    if value is None:
        return
    if isinstance(value, str):
        if len(value) > MAX_METADATA_CHARS:
            raise RecordError(where, name, f"longer than {MAX_METADATA_CHARS} characters", record_id)
        if _bad_string(value):
            raise RecordError(where, name, _SURROGATE, record_id)
        return
    if not isinstance(value, (int, float, HugeInt)) or isinstance(value, bool):
        raise RecordError(where, name, f"expected a string or number, got {_type_name(value)}", record_id)
    problem = _number_problem(value)
    if problem is not None:
        raise RecordError(where, name, problem, record_id)


def _fold_metadata(row: dict[str, Any]) -> dict[str, Any]:
    """Tabular inputs may carry the metadata fields as columns of their own (as ReXGradient does)."""
    folded = {k: v for k, v in row.items() if k not in METADATA_FIELDS}
    columns = {k: v for k, v in row.items() if k in METADATA_FIELDS and v is not None}
    if columns:
        meta = folded.get("metadata")
        folded["metadata"] = {**columns, **meta} if isinstance(meta, dict) else meta if meta else columns
    return folded


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return controls > max(2, len(text) // 100)


# -- readers ------------------------------------------------------------------------------------------
Item = InputRecord | RecordError
JSONL, CSV, PARQUET = "jsonl", "csv", "parquet"
BOM = b"\xef\xbb\xbf"
CSV_ENCODING = "utf-8-sig"  # UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" has one)
_FORMATS = {".jsonl": JSONL, ".ndjson": JSONL, ".json": JSONL, ".csv": CSV, ".parquet": PARQUET, ".pq": PARQUET}


@dataclass(frozen=True, slots=True)
class RawRow:
    """One record as read, before validation: where it is ("line 7", "row 3"), its decoded value (a
    dict, or for JSONL any JSON value), and for JSONL the line as read."""

    where: str
    data: Any
    line: bytes = b""


def input_format(path: Path) -> str:
    """"jsonl", "csv" or "parquet", by extension; InputError for a missing file or another extension."""
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(f"unknown input format {path.suffix!r}: use .jsonl, .csv or .parquet")
    return found


def read_raw(path: Path, columns: Sequence[str] | None = None) -> Iterator[RawRow | RecordError]:
    """Every non-blank record of a JSONL, CSV or Parquet file, in order, not validated; a line that is
    not JSON (or a CSV row with too many cells) comes as a RecordError in its place. `columns` limits
    what Parquet reads. A missing file or unknown format fails here, before the first record."""
    kind = input_format(path)
    if kind == JSONL:
        return _jsonl_rows(path)
    if kind == CSV:
        return _csv_rows(path)
    return _parquet_rows(path, columns)


def read_records(path: Path, max_text_chars: int) -> Iterator[Item]:
    """Validated records of a JSONL, CSV or Parquet file, chosen by extension, streamed."""
    kind = input_format(path)
    return _validated(read_raw(path), kind, max_text_chars)


def _validated(rows: Iterator[RawRow | RecordError], kind: str, max_text_chars: int) -> Iterator[Item]:
    for row in rows:
        if isinstance(row, RecordError):
            yield row
            continue
        raw = row.data
        if kind != JSONL:  # tabular: metadata as a JSON cell, and metadata fields as columns of their own
            meta = raw.get("metadata")
            if isinstance(meta, str):
                try:
                    raw = {**raw, "metadata": decode_json(meta)}
                except (json.JSONDecodeError, NestingError):
                    shown = raw.get("id") if isinstance(raw.get("id"), str) and not _bad_string(raw["id"]) else None
                    yield RecordError(row.where, "metadata", "not a JSON object", shown)
                    continue
            raw = _fold_metadata(raw)
        try:
            yield validate(raw, row.where, max_text_chars, tabular=kind != JSONL)
        except RecordError as exc:
            yield exc


def _jsonl_rows(path: Path) -> Iterator[RawRow | RecordError]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1:
                line = line.removeprefix(BOM)  # Notepad's and Excel's "UTF-8" files start with one
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                data = decode_json(line.decode("utf-8"))
            except UnicodeDecodeError:
                yield RecordError(where, "<record>", "not valid UTF-8")
                continue
            except NestingError:
                yield RecordError(where, "<record>", "JSON nested too deeply")
                continue
            except json.JSONDecodeError as exc:
                yield RecordError(where, "<record>", f"invalid JSON at column {exc.colno}")
                continue
            yield RawRow(where, data, line)


def _csv_rows(path: Path) -> Iterator[RawRow | RecordError]:
    with path.open(newline="", encoding=CSV_ENCODING) as handle:
        number = 0
        try:
            for number, row in enumerate(csv.DictReader(handle), start=1):
                if None in row:
                    yield RecordError(f"row {number}", "<record>", "more cells than header columns")
                    continue
                yield RawRow(f"row {number}", {k: (v if v != "" else None) for k, v in row.items()})
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"{path.name}: unreadable CSV after row {number} ({type(exc).__name__})") from None


def parquet_file(path: Path) -> Any:
    """A pyarrow ParquetFile, or InputError."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputError(f"{path.name}: not a readable Parquet file ({type(exc).__name__})") from None


def _parquet_rows(path: Path, columns: Sequence[str] | None) -> Iterator[RawRow | RecordError]:
    parquet = parquet_file(path)
    names = parquet.schema_arrow.names
    wanted = [c for c in columns if c in names] if columns is not None else None
    number = 0
    for batch in parquet.iter_batches(batch_size=4096, columns=wanted):
        for data in batch.to_pylist():
            number += 1
            yield RawRow(f"row {number}", data)
