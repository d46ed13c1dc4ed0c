"""Patient-level train / validation / test splits: no patient has records in two splits.

Two passes over the input, so memory holds one small entry per patient and per record, never the
records themselves: the first reads each record's patient (`rows.group_key`), the second copies
each record, unchanged, to the file of its patient's split.

Patients are taken in an order fixed by the seed alone (a hash of seed and patient), so the result
does not depend on the order of the input, and each goes to the split furthest below its target
(relative to the target) that still has room for all of the patient's records.
"""

from __future__ import annotations

import hashlib
import json
import logging
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from service.dataset.rows import KEY_COLUMNS, group_key, read_rows
from service.errors import InputError, RecordError
from service.records import BOM, CSV, CSV_ENCODING, JSONL, input_format, parquet_file

log = logging.getLogger("radprep")

SPLIT_NAMES = ("train", "validation", "test")
DEFAULT_SIZES = "140000,10000,10000"  # ReXGradient-160K; applied as proportions of the input
_ERROR, _LEFT_OUT = -2, -1


@dataclass(frozen=True, slots=True)
class Sizes:
    """Three sizes in records (studies): counts, or fractions of the input (`proportional`)."""

    values: tuple[float, float, float]
    proportional: bool

    @classmethod
    def parse(cls, text: str) -> Sizes:
        """"140000,10000,10000" (counts) or "0.875,0.0625,0.0625" (fractions, summing to at most 1)."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != len(SPLIT_NAMES):
            raise InputError(f"--sizes needs {len(SPLIT_NAMES)} comma-separated numbers (train,validation,test)")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise InputError("--sizes: not a number") from None
        if any(v < 0 or v != v for v in values) or sum(values) <= 0:
            raise InputError("--sizes must be non-negative and not all zero")
        if all(p.isdigit() for p in parts):
            return cls((values[0], values[1], values[2]), proportional=False)
        if sum(values) > 1 + 1e-9:
            raise InputError("--sizes as fractions must sum to at most 1 (counts are whole numbers)")
        return cls((values[0], values[1], values[2]), proportional=True)

    def targets(self, total: int) -> list[int]:
        """Records wanted per split from `total` valid records."""
        if not self.proportional:
            wanted = sum(int(v) for v in self.values)
            if wanted > total:
                raise InputError(f"--sizes ask for {wanted} records; the input has {total} valid records")
            return [int(v) for v in self.values]
        exact = [v * total for v in self.values]
        targets = [int(x) for x in exact]
        # largest remainders take the records that rounding down left over
        for i in sorted(range(len(exact)), key=lambda i: exact[i] - targets[i], reverse=True):
            if sum(targets) >= round(sum(exact)):
                break
            targets[i] += 1
        return targets


def default_sizes() -> Sizes:
    counts = [float(v) for v in DEFAULT_SIZES.split(",")]
    return Sizes((counts[0] / sum(counts), counts[1] / sum(counts), counts[2] / sum(counts)), proportional=True)


def patient_order(key: str, seed: int) -> bytes:
    return hashlib.blake2b(f"{seed}\x1f{key}".encode(), digest_size=16).digest()


def assign(counts: Sequence[int], keys: Sequence[str], targets: Sequence[int], seed: int) -> list[int]:
    """Split index per patient (or -1, left out: only when the targets add up to less than the input).

    `counts[p]` is patient p's number of records, `keys[p]` its key (for the seeded order)."""
    assigned = [0] * len(targets)
    must_place_all = sum(targets) >= sum(counts)
    out = [_LEFT_OUT] * len(counts)
    for p in sorted(range(len(counts)), key=lambda p: patient_order(keys[p], seed)):
        n = counts[p]
        deficits = [t - a for t, a in zip(targets, assigned, strict=True)]
        room = [i for i, d in enumerate(deficits) if d >= n]
        if not room and must_place_all:
            room = [i for i, d in enumerate(deficits) if d > 0]
        if not room:
            continue
        best = max(room, key=lambda i: (deficits[i] / max(targets[i], 1), -i))
        out[p] = best
        assigned[best] += n
    return out


@dataclass
class SplitResult:
    records: list[int]
    patients: list[int]
    targets: list[int]
    left_out_records: int
    left_out_patients: int
    errors: int

    def summary(self, input_name: str, seed: int, sizes: str) -> dict[str, Any]:
        return {
            "input": input_name, "seed": seed, "sizes": sizes,
            "splits": {name: {"records": r, "patients": p, "target": t} for name, r, p, t
                       in zip(SPLIT_NAMES, self.records, self.patients, self.targets, strict=True)},
            "left_out": {"records": self.left_out_records, "patients": self.left_out_patients},
            "errors": self.errors,
        }

    def markdown(self) -> str:
        lines = ["| split | records | patients | target |", "| --- | ---: | ---: | ---: |"]
        for name, r, p, t in zip(SPLIT_NAMES, self.records, self.patients, self.targets, strict=True):
            lines.append(f"| {name} | {r:,} | {p:,} | {t:,} |")
        if self.left_out_records:
            lines.append(f"| (left out) | {self.left_out_records:,} | {self.left_out_patients:,} | |")
        return "\n".join(lines)


def split_file(source: Path, out_dir: Path, sizes: Sizes, seed: int, errors: TextIO) -> SplitResult:
    """Write `out_dir/{train,validation,test}.<format of source>`; bad records go to `errors`."""
    kind = input_format(source)
    patients: dict[str, int] = {}
    counts: list[int] = []
    row_patient = array("i")
    bad = 0
    for item in read_rows(source, KEY_COLUMNS):
        try:
            if isinstance(item, RecordError):
                raise item
            key = group_key(item)
        except RecordError as exc:
            _write_error(errors, exc)
            row_patient.append(_ERROR)
            bad += 1
            continue
        index = patients.setdefault(key, len(patients))
        if index == len(counts):
            counts.append(0)
        counts[index] += 1
        row_patient.append(index)
    total = sum(counts)
    if total == 0:
        raise InputError(f"{source.name}: no valid records to split")
    targets = sizes.targets(total)
    placed = assign(counts, list(patients), targets, seed)
    row_split = array("b", (placed[p] if p >= 0 else _ERROR for p in row_patient))
    out_dir.mkdir(parents=True, exist_ok=True)
    if kind == JSONL:
        _write_jsonl(source, out_dir, row_split)
    elif kind == CSV:
        _write_csv(source, out_dir, row_split)
    else:
        _write_parquet(source, out_dir, row_split)
    records = [sum(c for c, s in zip(counts, placed, strict=True) if s == i) for i in range(len(SPLIT_NAMES))]
    per_split = [placed.count(i) for i in range(len(SPLIT_NAMES))]
    return SplitResult(records, per_split, targets, total - sum(records), placed.count(_LEFT_OUT), bad)


def _write_error(handle: TextIO, exc: RecordError) -> None:
    log.warning("%s", exc)
    entry = {"where": exc.where, "id": exc.record_id, "field": exc.field, "error": exc.problem}
    handle.write(json.dumps(entry) + "\n")


def _write_jsonl(source: Path, out_dir: Path, row_split: array[int]) -> None:
    outs = [(out_dir / f"{name}.jsonl").open("wb") for name in SPLIT_NAMES]
    try:
        number = 0
        with source.open("rb") as handle:
            for physical, line in enumerate(handle):
                if physical == 0:
                    line = line.removeprefix(BOM)  # as rows._jsonl_rows
                if not line.strip():
                    continue  # as rows._jsonl_rows: blank lines are not records
                split = row_split[number]
                number += 1
                if split >= 0:
                    outs[split].write(line if line.endswith(b"\n") else line + b"\n")
    finally:
        for out in outs:
            out.close()


def _write_csv(source: Path, out_dir: Path, row_split: array[int]) -> None:
    import csv

    outs = [(out_dir / f"{name}.csv").open("w", newline="", encoding="utf-8") for name in SPLIT_NAMES]
    try:
        with source.open(newline="", encoding=CSV_ENCODING) as handle:  # a byte-order mark is not copied
            reader = csv.DictReader(handle)
            writers = [csv.DictWriter(out, fieldnames=list(reader.fieldnames or [])) for out in outs]
            for writer in writers:
                writer.writeheader()
            for number, row in enumerate(reader):
                if row_split[number] >= 0:
                    writers[row_split[number]].writerow(row)
    finally:
        for out in outs:
            out.close()


def _write_parquet(source: Path, out_dir: Path, row_split: array[int]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = parquet_file(source)
    writers = [pq.ParquetWriter(out_dir / f"{name}.parquet", parquet.schema_arrow) for name in SPLIT_NAMES]
    try:
        offset = 0
        for batch in parquet.iter_batches(batch_size=4096):
            chosen: list[list[int]] = [[] for _ in SPLIT_NAMES]
            for i in range(batch.num_rows):
                if row_split[offset + i] >= 0:
                    chosen[row_split[offset + i]].append(i)
            offset += batch.num_rows
            for writer, indices in zip(writers, chosen, strict=True):
                if indices:
                    writer.write_table(pa.Table.from_batches([batch.take(pa.array(indices, pa.int64()))]))
    finally:
        for writer in writers:
            writer.close()

