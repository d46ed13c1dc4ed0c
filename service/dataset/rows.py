"""Records as plain dicts, and the patient each one belongs to.

`radprep process` validates raw input strictly (`service.records`). The dataset tools also read its
output, whose lines carry more keys (sections, entities, warnings), and `radprep split` writes every
record back as it was. So they read records here, as dicts, from JSONL, CSV or Parquet, naming a bad
record as `service.records` does: a `RecordError` with its line or row, yielded in its place.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import InputError, RecordError
from service.records import METADATA_FIELDS

JSONL, CSV, PARQUET = "jsonl", "csv", "parquet"
_FORMATS = {".jsonl": JSONL, ".ndjson": JSONL, ".json": JSONL, ".csv": CSV, ".parquet": PARQUET, ".pq": PARQUET}
# The columns that decide a record's patient (Parquet reads only these when it only needs the key).
KEY_COLUMNS = ("id", "patient_id", "metadata", "PatientID")


@dataclass(frozen=True, slots=True)
class Row:
    """One record: where it is ("line 7", "row 3"), its fields, and for JSONL the line as read."""

    where: str
    data: dict[str, Any]
    line: bytes = b""


def input_format(path: Path) -> str:
    """"jsonl", "csv" or "parquet", by extension; InputError for a missing file or another extension."""
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(f"unknown input format {path.suffix!r}: use .jsonl, .csv or .parquet")
    return found


def read_rows(path: Path, columns: Sequence[str] | None = None) -> Iterator[Row | RecordError]:
    """Every non-blank record of the file, in order. `columns` limits what Parquet reads."""
    kind = input_format(path)
    if kind == JSONL:
        return _jsonl_rows(path)
    if kind == CSV:
        return _csv_rows(path)
    return _parquet_rows(path, columns)


def _jsonl_rows(path: Path) -> Iterator[Row | RecordError]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                data = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError:
                yield RecordError(where, "<record>", "not valid UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield RecordError(where, "<record>", f"invalid JSON at column {exc.colno}")
                continue
            if not isinstance(data, dict):
                yield RecordError(where, "<record>", "expected a JSON object")
                continue
            yield Row(where, data, line)


def _csv_rows(path: Path) -> Iterator[Row | RecordError]:
    with path.open(newline="", encoding="utf-8") as handle:
        number = 0
        try:
            for number, row in enumerate(csv.DictReader(handle), start=1):
                if None in row:
                    yield RecordError(f"row {number}", "<record>", "more cells than header columns")
                    continue
                yield Row(f"row {number}", {k: (v if v != "" else None) for k, v in row.items()})
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"{path.name}: unreadable CSV after row {number} ({type(exc).__name__})") from None


def parquet_file(path: Path) -> Any:
    """A pyarrow ParquetFile, or InputError."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputError(f"{path.name}: not a readable Parquet file ({type(exc).__name__})") from None


def _parquet_rows(path: Path, columns: Sequence[str] | None) -> Iterator[Row | RecordError]:
    parquet = parquet_file(path)
    names = parquet.schema_arrow.names
    wanted = [c for c in columns if c in names] if columns is not None else None
    number = 0
    for batch in parquet.iter_batches(batch_size=4096, columns=wanted):
        for data in batch.to_pylist():
            number += 1
            yield Row(f"row {number}", data)


# -- the patient of a record -------------------------------------------------------------------------
def metadata_of(row: Row) -> dict[str, Any]:
    """The record's metadata object, with metadata fields that CSV or Parquet give as columns."""
    meta = row.data.get("metadata")
    if isinstance(meta, str):  # CSV: a JSON object in a cell
        try:
            meta = json.loads(meta)
        except json.JSONDecodeError:
            raise RecordError(row.where, "metadata", "not a JSON object", _shown_id(row.data)) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        raise RecordError(row.where, "metadata", "expected an object", _shown_id(row.data))
    columns = {k: row.data[k] for k in METADATA_FIELDS if row.data.get(k) is not None}
    return {**columns, **meta}


def group_key(row: Row) -> str:
    """The patient a record belongs to, as `service.pipeline.patient_key` decides it: its patient_id,
    else metadata PatientID, else its id (a record of its own). IDs are compared ignoring case and
    spaces, as pseudonyms and date shifts treat them, so one patient is never in two splits."""
    from service.deid.keys import normalize_key

    candidates = (row.data.get("patient_id"), metadata_of(row).get("PatientID"))
    for value in candidates:
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return "patient:" + normalize_key(str(value)).replace(" ", "")
    record_id = row.data.get("id")
    if isinstance(record_id, (str, int)) and not isinstance(record_id, bool) and str(record_id) != "":
        return f"record:{record_id}"
    raise RecordError(row.where, "id", "required when the record has no patient_id or PatientID")


def _shown_id(data: Mapping[str, Any]) -> str | None:
    record_id = data.get("id")
    return record_id if isinstance(record_id, str) and 0 < len(record_id) <= 256 else None
