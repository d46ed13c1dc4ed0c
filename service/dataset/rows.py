"""Records as plain dicts, and the patient each one belongs to.

`radprep process` validates raw input strictly (`service.records`). The dataset tools also read its
output, whose lines carry more keys (sections, entities, warnings), and `radprep split` writes every
record back as it was. So they read records as dicts, through the reader of radprep output
(`service.output.read_output`: JSONL, CSV or Parquet, each record in the shape of a JSONL line), a bad
record named the same way: a `RecordError` with its line or row, in its place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from service.errors import RecordError
from service.output import read_output
from service.records import MAX_ID_CHARS, METADATA_FIELDS, RawRow

# The columns that decide a record's patient (Parquet reads only these when it only needs the key).
KEY_COLUMNS = ("id", "patient_id", "metadata", "PatientID")
Row = RawRow


def read_rows(path: Path, columns: Sequence[str] | None = None) -> Iterator[Row | RecordError]:
    """Every non-blank record of the file, in order, as a dict. `columns` limits what Parquet reads.
    A missing file or unknown format fails here, before the first record."""
    return _objects_only(read_output(path, columns))


def _objects_only(rows: Iterator[RawRow | RecordError]) -> Iterator[Row | RecordError]:
    for row in rows:
        if isinstance(row, RawRow) and not isinstance(row.data, dict):
            yield RecordError(row.where, "<record>", "expected a JSON object")
        else:
            yield row


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
    """The patient a record belongs to, by `service.deid.keys.patient_key` (the rule of the pipeline):
    its patient_id, else metadata PatientID, else its id (a record of its own). IDs are compared ignoring
    case and spaces, as pseudonyms and date shifts treat them, so one patient is never in two splits."""
    from service.deid.keys import patient_key

    key = patient_key(row.data.get("patient_id"), metadata_of(row).get("PatientID"), row.data.get("id"))
    if key is None:
        raise RecordError(row.where, "id", "required when the record has no patient_id or PatientID")
    return key


def _shown_id(data: Mapping[str, Any]) -> str | None:
    record_id = data.get("id")
    return record_id if isinstance(record_id, str) and 0 < len(record_id) <= MAX_ID_CHARS else None
