"""Parquet output. A Parquet file cannot be appended to, so a run writes part files and combines them.

While it runs, reports go to `OUTPUT.parts/part-NNNNNN.parquet`, each of `PART_ROWS` reports,
written to a temporary name, fsynced and renamed: a part is whole or absent. A crash loses at most
the reports of the part being filled (they are redone on resume). When every record is done the
parts are combined into OUTPUT (temporary name, then rename) in row groups of `ROW_GROUP_ROWS`,
whatever the parts were, and the parts folder is removed.

Columns: `id`, `patient_id`, `text` (strings), `sections` (a struct of the four section strings),
`entities` (a list of structs `type`, `start`, `end`), `metadata` (JSON text: its keys and value
types vary), `warnings` (a list of strings).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from service.batch.sink import fsync_dir
from service.sections import SECTION_NAMES

PART_ROWS = 1024
ROW_GROUP_ROWS = 8192
SCHEMA = pa.schema([
    ("id", pa.string()),
    ("patient_id", pa.string()),
    ("text", pa.string()),
    ("sections", pa.struct([(name, pa.string()) for name in SECTION_NAMES])),
    ("entities", pa.list_(pa.struct([("type", pa.string()), ("start", pa.int64()), ("end", pa.int64())]))),
    ("metadata", pa.string()),
    ("warnings", pa.list_(pa.string())),
])


class ParquetSink:
    def __init__(self, path: Path, fresh: bool) -> None:
        self.path = path
        self.parts = path.with_name(path.name + ".parts")
        self._rows: list[dict[str, Any]] = []
        if fresh:
            path.unlink(missing_ok=True)
            shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir(parents=True, exist_ok=True)
        for stray in self.parts.glob("*.tmp"):
            stray.unlink()
        if path.exists() and not self._part_files():
            path.rename(self._part_path(0))  # a finished run's output: its records come first
        self._next = len(self._part_files())

    def _part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet"))

    def _part_path(self, number: int) -> Path:
        return self.parts / f"part-{number:06d}.parquet"

    def written_ids(self) -> Iterator[str]:
        for part in self._part_files():
            yield from pq.read_table(part, columns=["id"]).column("id").to_pylist()

    def write(self, reports: list[dict[str, Any]]) -> None:
        self._rows.extend({**r, "metadata": json.dumps(r["metadata"], ensure_ascii=False, allow_nan=False)}
                          for r in reports)

    def commit(self) -> None:
        while len(self._rows) >= PART_ROWS:
            self._write_part(self._rows[:PART_ROWS])
            del self._rows[:PART_ROWS]

    def _write_part(self, rows: list[dict[str, Any]]) -> None:
        final = self._part_path(self._next)
        temporary = final.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), temporary)
        _fsync(temporary)
        temporary.rename(final)
        fsync_dir(self.parts)
        self._next += 1

    def close(self, complete: bool) -> None:
        self.commit()
        if self._rows:
            self._write_part(self._rows)
            self._rows = []
        if complete:
            self._combine()

    def _combine(self) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        with pq.ParquetWriter(temporary, SCHEMA) as writer:
            pending: list[pa.Table] = []
            for part in self._part_files():
                pending.append(pq.read_table(part, schema=SCHEMA))
                table = pa.concat_tables(pending)
                whole = table.num_rows - table.num_rows % ROW_GROUP_ROWS
                if whole:
                    writer.write_table(table.slice(0, whole), row_group_size=ROW_GROUP_ROWS)
                pending = [table.slice(whole)]
            rest = pa.concat_tables(pending) if pending else SCHEMA.empty_table()
            if rest.num_rows:
                writer.write_table(rest, row_group_size=ROW_GROUP_ROWS)
        _fsync(temporary)
        os.replace(temporary, self.path)
        fsync_dir(self.path.parent)
        shutil.rmtree(self.parts)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
