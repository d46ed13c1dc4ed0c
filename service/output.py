"""Reading radprep output back: the one reader of `radprep compare`, `stats` and `split`.

`radprep batch` and `process` write JSONL, CSV or Parquet, by extension (`service.batch.sink`,
`service.batch.parquet_sink`). This reader takes any of them, by extension too, and gives every record
in the shape of a JSONL output line, so the tools never look at the format:

- JSONL: the line as it is.
- CSV: the four section columns become `sections`; `entities`, `metadata` and `warnings` are JSON text,
  decoded; an empty cell is null.
- Parquet: `sections` is already a struct and `entities` a list; `metadata` is JSON text, decoded.

A record that is not radprep output (raw input, which `radprep split` also reads) passes unchanged, a
`metadata` cell of JSON text decoded. A cell that is not valid JSON is an error of its record, named by
the field, never by its value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from service.errors import RecordError
from service.records import JSONL, MAX_ID_CHARS, NestingError, RawRow, decode_json, input_format, read_raw
from service.sections import SECTION_NAMES

JSON_CELLS = ("entities", "metadata", "warnings")  # JSON text in CSV output (Parquet: metadata only)


def read_output(path: Path, columns: Sequence[str] | None = None) -> Iterator[RawRow | RecordError]:
    """Every non-blank record of a JSONL, CSV or Parquet file, in order, as a JSONL output line would
    have it. `columns` limits what Parquet reads. A missing file or unknown format fails here."""
    kind = input_format(path)
    rows = read_raw(path, columns)
    if kind == JSONL:
        return rows
    return _as_lines(rows)


def _as_lines(rows: Iterator[RawRow | RecordError]) -> Iterator[RawRow | RecordError]:
    for row in rows:
        if isinstance(row, RawRow) and isinstance(row.data, dict):
            try:
                row = RawRow(row.where, as_line(row.data, row.where), row.line)
            except RecordError as exc:
                yield exc
                continue
        yield row


def as_line(data: dict[str, Any], where: str) -> dict[str, Any]:
    """A CSV or Parquet row in the shape of a JSONL line (see the module docstring)."""
    out = dict(data)
    if "sections" not in out and all(name in out for name in SECTION_NAMES):
        out["sections"] = {name: out.pop(name) for name in SECTION_NAMES}
    for key in JSON_CELLS:
        value = out.get(key)
        if isinstance(value, str):
            try:
                out[key] = decode_json(value)
            except (json.JSONDecodeError, NestingError):
                problem = "not a JSON object" if key == "metadata" else "not a JSON array"
                raise RecordError(where, key, problem, _shown_id(out)) from None
    return out


def _shown_id(data: dict[str, Any]) -> str | None:
    record_id = data.get("id")
    return record_id if isinstance(record_id, str) and 0 < len(record_id) <= MAX_ID_CHARS else None
