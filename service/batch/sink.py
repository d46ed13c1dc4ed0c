"""Output writers that survive a crash: JSONL, CSV and the errors side file (Parquet: `parquet_sink`).

Every writer appends and, on `commit`, flushes and fsyncs, so after a kill (-9 included) a file
holds whole committed records plus at most one torn record at its end. Reopening a file to resume
cuts that torn tail off, and `written_ids` then lists the ids already there, in order.

CSV output has one column per field; the four sections are columns of their own (`indication`,
`comparison`, `findings`, `impression`); `entities`, `metadata` and `warnings` are JSON text. Every
cell is quoted; an empty cell is null.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from service.errors import InputError
from service.sections import SECTION_NAMES

CSV_COLUMNS = ("id", "patient_id", "text", *SECTION_NAMES, "entities", "metadata", "warnings")
_TAIL_CHUNK = 1 << 16


class Sink(Protocol):
    path: Path

    def written_ids(self) -> Iterator[str]: ...
    def write(self, reports: list[dict[str, Any]]) -> None: ...
    def commit(self) -> None: ...
    def close(self, complete: bool) -> None: ...


def check_output(path: Path) -> None:
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".csv", ".parquet", ".pq"):
        raise InputError(f"unknown output format {path.suffix!r}: use .jsonl, .csv or .parquet")


def open_sink(path: Path, fresh: bool) -> Sink:
    """The writer for `path`, by extension; `fresh` starts over, else an existing file is resumed."""
    check_output(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return JsonlSink(path, fresh)
    if suffix == ".csv":
        return CsvSink(path, fresh)
    if suffix in (".parquet", ".pq"):
        from service.batch.parquet_sink import ParquetSink

        return ParquetSink(path, fresh)
    raise InputError(f"unknown output format {suffix!r}: use .jsonl, .csv or .parquet")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Appender:
    """A file opened for appending after `_complete_end` bytes (what a crash left whole)."""

    def __init__(self, path: Path, fresh: bool) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh or not path.exists():
            path.write_bytes(self._header())
        else:
            end = self._complete_end()
            if end < path.stat().st_size:
                with path.open("r+b") as handle:
                    handle.truncate(end)
            if end == 0:
                path.write_bytes(self._header())
        self._handle = path.open("a", encoding="utf-8", newline="")

    def _header(self) -> bytes:
        return b""

    def _complete_end(self) -> int:
        """Bytes up to the end of the last whole line (one JSON document per line)."""
        size = self.path.stat().st_size
        with self.path.open("rb") as handle:
            pos = size
            while pos > 0:
                start = max(0, pos - _TAIL_CHUNK)
                handle.seek(start)
                newline = handle.read(pos - start).rfind(b"\n")
                if newline >= 0:
                    return start + newline + 1
                pos = start
        return 0

    def commit(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self, complete: bool) -> None:
        self.commit()
        self._handle.close()

    def _json_lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    value = json.loads(line)
                except ValueError:
                    value = None
                if not isinstance(value, dict):
                    raise InputError(f"{self.path.name} line {number} is not a JSON object: not written by "
                                     "`radprep batch`? Remove it, or pass --overwrite")
                yield number, value


class JsonlSink(_Appender):
    """One JSON object per line, as `radprep process` writes them."""

    def written_ids(self) -> Iterator[str]:
        for number, value in self._json_lines():
            if not isinstance(value.get("id"), str):
                raise InputError(f"{self.path.name} line {number} has no id: remove the file, or pass --overwrite")
            yield value["id"]

    def write(self, reports: list[dict[str, Any]]) -> None:
        self._handle.write("".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in reports))


class ErrorSink(_Appender):
    """The errors side file: one `{"where", "id", "field", "error"}` line per record without a report."""

    def written(self) -> Iterator[dict[str, Any]]:
        return (value for _, value in self._json_lines())

    def write(self, entries: list[dict[str, Any]]) -> None:  # type: ignore[override]
        self._handle.write("".join(json.dumps(e, ensure_ascii=False, allow_nan=False) + "\n" for e in entries))


class CsvSink(_Appender):
    """A header line, then one fully quoted CSV record per report."""

    def _header(self) -> bytes:
        return self._encode([list(CSV_COLUMNS)]).encode("utf-8")

    @staticmethod
    def _encode(rows: list[list[str]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
        return buffer.getvalue()

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """(byte offset after the record, cells) of every whole record; stops at a torn one."""
        with self.path.open("rb") as handle:
            offset = 0
            consumed: list[bytes] = []

            def lines() -> Iterator[str]:
                for raw in handle:
                    consumed.append(raw)
                    yield raw.decode("utf-8", errors="replace")

            reader = csv.reader(lines(), strict=True)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    return  # the file ends inside a quoted cell: torn
                if len(row) != len(CSV_COLUMNS) or not consumed or not consumed[-1].endswith(b'"\n'):
                    return
                offset += sum(len(raw) for raw in consumed)
                consumed.clear()
                yield offset, row

    def _complete_end(self) -> int:
        end = 0
        for number, (offset, row) in enumerate(self._records()):
            if number == 0 and tuple(row) != CSV_COLUMNS:
                break
            end = offset
        if end == 0:
            header = self._header()
            with self.path.open("rb") as handle:
                if header.startswith(handle.read(len(header) + 1)):
                    return 0  # killed while writing the header
            raise InputError(f"{self.path.name} does not start with radprep's CSV header: "
                             "remove it, or pass --overwrite")
        return end

    def written_ids(self) -> Iterator[str]:
        records = self._records()
        next(records, None)  # the header
        return (row[0] for _, row in records)

    def write(self, reports: list[dict[str, Any]]) -> None:
        rows = []
        for r in reports:
            sections = [r["sections"][name] or "" for name in SECTION_NAMES]
            rows.append([r["id"], r["patient_id"] or "", r["text"], *sections,
                         *(json.dumps(r[k], ensure_ascii=False, allow_nan=False)
                           for k in ("entities", "metadata", "warnings"))])
        self._handle.write(self._encode(rows))
