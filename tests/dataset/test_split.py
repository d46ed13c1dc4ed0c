"""Patient-level splits: no patient in two splits, sizes near their targets, records unchanged, seeded."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service.dataset.split import SPLIT_NAMES, Sizes, assign, default_sizes, split_file
from service.errors import InputError


def records(patients: int = 400, seed: int = 1) -> list[dict]:
    """Patients with 1 to 6 studies, keyed in the three ways a record can name its patient."""
    rng = random.Random(seed)
    out = []
    for p in range(patients):
        for s in range(rng.randint(1, 6)):
            record: dict = {"id": f"r{p}-{s}", "text": f"FINDINGS: study {s}."}
            if p % 3 == 0:
                record["patient_id"] = f"P{p:05d}"
            elif p % 3 == 1:
                record["metadata"] = {"PatientID": f"p{p:05d} " if s % 2 else f"P{p:05d}", "PatientSex": "F"}
            out.append(record)
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def patient_of(record: dict) -> str:
    pid = record.get("patient_id") or (record.get("metadata") or {}).get("PatientID")
    return pid.strip().upper() if pid else "record:" + record["id"]


def run(source: Path, out: Path, sizes: Sizes | None = None, seed: int = 0) -> tuple:
    errors = io.StringIO()
    result = split_file(source, out, sizes or default_sizes(), seed, errors)
    return result, errors.getvalue()


def read_split(out: Path, suffix: str = "jsonl") -> dict[str, list[dict]]:
    return {name: [json.loads(x) for x in (out / f"{name}.{suffix}").read_text().splitlines()] for name in SPLIT_NAMES}


def test_sizes_are_counts_or_fractions() -> None:
    assert Sizes.parse("140000,10000,10000") == Sizes((140000, 10000, 10000), proportional=False)
    assert Sizes.parse("0.8, 0.1, 0.1").proportional
    assert default_sizes().targets(160_000) == [140_000, 10_000, 10_000]
    assert sum(default_sizes().targets(1001)) == 1001
    assert Sizes.parse("0.5,0.1,0.1").targets(1000) == [500, 100, 100]
    for bad in ("1,2", "a,b,c", "0.9,0.2,0.1", "-1,2,3", "0,0,0"):
        with pytest.raises(InputError):
            Sizes.parse(bad)
    with pytest.raises(InputError, match="ask for 300 records; the input has 200"):
        Sizes.parse("100,100,100").targets(200)


def test_no_patient_is_in_two_splits_and_sizes_follow_the_targets(tmp_path: Path) -> None:
    rows = records()
    result, errors = run(write_jsonl(tmp_path / "in.jsonl", rows), tmp_path / "out",
                         Sizes.parse("0.8,0.1,0.1"))
    split = read_split(tmp_path / "out")
    owners: dict[str, set[str]] = {}
    for name, lines in split.items():
        for record in lines:
            owners.setdefault(patient_of(record), set()).add(name)
    assert all(len(names) == 1 for names in owners.values())  # "p00001 " and "P00001" are one patient
    assert sum(len(lines) for lines in split.values()) == len(rows) and errors == ""
    for got, target in zip(result.records, result.targets, strict=True):
        assert abs(got - target) <= 6  # off by less than one patient's studies
    assert result.records == [len(split[n]) for n in SPLIT_NAMES]
    assert result.patients == [len({patient_of(r) for r in split[n]}) for n in SPLIT_NAMES]


def test_lines_are_copied_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    lines = ['{"id": "a",  "text": "x", "patient_id": "P1"}', '{"text":"y","id":"b","extra":{"k":[1,2]}}']
    source.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    run(source, tmp_path / "out", Sizes.parse("1,1,0"))
    written = [x for n in SPLIT_NAMES for x in (tmp_path / "out" / f"{n}.jsonl").read_text().splitlines()]
    assert sorted(written) == sorted(lines)


def test_the_seed_decides_and_the_input_order_does_not(tmp_path: Path) -> None:
    rows = records()
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)

    def ids(source: list[dict], seed: int, name: str) -> dict[str, set[str]]:
        run(write_jsonl(tmp_path / f"{name}.jsonl", source), tmp_path / name, seed=seed)
        return {n: {r["id"] for r in lines} for n, lines in read_split(tmp_path / name).items()}

    first = ids(rows, 7, "a")
    assert ids(rows, 7, "b") == first
    assert ids(shuffled, 7, "c") == first
    assert ids(rows, 8, "d") != first


def test_counts_below_the_input_leave_whole_patients_out(tmp_path: Path) -> None:
    rows = records(100)
    result, _ = run(write_jsonl(tmp_path / "in.jsonl", rows), tmp_path / "out", Sizes.parse("100,20,20"))
    assert result.left_out_records == len(rows) - sum(result.records) > 0
    assert all(got <= target for got, target in zip(result.records, result.targets, strict=True))
    assert sum(result.records) >= 140 - 12


def test_bad_records_go_to_the_errors_and_the_rest_is_split(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "patient_id": "P1"}\nnot json\n[1, 2]\n{"text": "no id"}\n'
                      '{"id": "b", "metadata": "oops"}\n{"id": "c"}\n', encoding="utf-8")
    result, errors = run(source, tmp_path / "out", Sizes.parse("1,1,0"))
    problems = [json.loads(x) for x in errors.splitlines()]
    assert [(p["where"], p["field"]) for p in problems] == [
        ("line 2", "<record>"), ("line 3", "<record>"), ("line 4", "id"), ("line 5", "metadata")]
    assert result.errors == 4 and sum(result.records) == 2


def test_assign_puts_big_patients_where_they_fit() -> None:
    placed = assign([5, 1, 1, 1, 1, 1], ["a", "b", "c", "d", "e", "f"], [7, 2, 1], seed=0)
    assert placed[0] == 0
    assert [sum(c for c, s in zip([5, 1, 1, 1, 1, 1], placed, strict=True) if s == i) for i in range(3)] == [7, 2, 1]


def test_csv_rows_keep_their_columns(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "PatientID", "StudyDate"])
        writer.writeheader()
        for i in range(60):
            writer.writerow({"id": f"r{i}", "text": f"line one\nline, two {i}", "PatientID": f"P{i // 3}",
                             "StudyDate": "20200101"})
    result, _ = run(source, tmp_path / "out", Sizes.parse("0.6,0.2,0.2"))
    seen = {}
    for name in SPLIT_NAMES:
        with (tmp_path / "out" / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                seen[row["id"]] = (name, row)
    assert len(seen) == 60 and all(row["text"].startswith("line one\nline, two") for _, row in seen.values())
    assert all(len({seen[f"r{3 * p + k}"][0] for k in range(3)}) == 1 for p in range(20))
    assert result.records == [36, 12, 12]


def test_parquet_rows_keep_their_schema(tmp_path: Path) -> None:
    rows = records(50)
    table = pa.Table.from_pylist([{"id": r["id"], "text": r["text"], "patient_id": r.get("patient_id"),
                                   "PatientID": (r.get("metadata") or {}).get("PatientID")} for r in rows])
    pq.write_table(table, tmp_path / "in.parquet")
    result, _ = run(tmp_path / "in.parquet", tmp_path / "out")
    parts = {n: pq.read_table(tmp_path / "out" / f"{n}.parquet") for n in SPLIT_NAMES}
    assert all(t.schema == table.schema for t in parts.values())
    assert sorted(i for t in parts.values() for i in t.column("id").to_pylist()) == sorted(r["id"] for r in rows)
    assert result.records == [t.num_rows for t in parts.values()]


def test_an_empty_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no valid records"):
        run(tmp_path / "in.jsonl", tmp_path / "out")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_byte_order_mark_is_read_and_not_copied(tmp_path: Path, suffix: str) -> None:
    """Excel's "CSV UTF-8" (and some editors' JSONL) start with a byte-order mark: the first column or
    record is read as usual, and no split file starts with the mark."""
    source = tmp_path / f"in{suffix}"
    rows = [{"id": f"r{i}", "text": "Lungs clear.", "patient_id": f"P{i}"} for i in range(12)]
    if suffix == ".csv":
        source.write_text("id,text,patient_id\n" + "".join(f"{r['id']},{r['text']},{r['patient_id']}\n" for r in rows),
                          encoding="utf-8-sig")
    else:
        source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8-sig")
    result, errors = run(source, tmp_path / "out", Sizes.parse("0.5,0.25,0.25"))
    assert result.errors == 0 and result.records == [6, 3, 3], errors
    for name in SPLIT_NAMES:
        assert not (tmp_path / "out" / f"{name}{suffix}").read_bytes().startswith(b"\xef\xbb\xbf")
