"""Output writers: what a crash leaves is cut back to whole records, and the ids written are read back."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from service.batch import parquet_sink
from service.batch.parquet_sink import ParquetSink
from service.batch.sink import CSV_COLUMNS, CsvSink, ErrorSink, JsonlSink, open_sink
from service.errors import InputError


def report(n: int, text: str = "FINDINGS: Clear.\nIMPRESSION: Normal, \"quoted\".") -> dict:
    return {"id": f"r{n}", "patient_id": None if n % 2 else f"P{n}", "text": text,
            "sections": {"indication": None, "comparison": None, "findings": "Clear.", "impression": "Normal."},
            "entities": [{"type": "DATE", "start": 0, "end": 3}], "metadata": {"PatientAge": "090Y", "W": 70.5},
            "warnings": ["sections: x"] if n % 3 == 0 else []}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_torn_last_record_is_cut_off_and_the_rest_resumes(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    sink = open_sink(path, fresh=True)
    sink.write([report(1), report(2)])
    sink.close(complete=False)
    whole = path.read_bytes()
    sink = open_sink(path, fresh=True)
    sink.write([report(1), report(2), report(3)])
    sink.close(complete=False)
    full = path.read_bytes()
    for cut in range(len(whole), len(full)):  # every place a kill can tear the third record
        path.write_bytes(full[:cut])
        resumed = open_sink(path, fresh=False)
        assert list(resumed.written_ids()) == ["r1", "r2"]
        assert path.read_bytes() == whole
        resumed.write([report(3)])
        resumed.close(complete=True)
        assert path.read_bytes() == full


def test_csv_has_a_column_per_section_and_json_for_nested_fields(tmp_path: Path) -> None:
    import csv

    sink = CsvSink(tmp_path / "out.csv", fresh=True)
    sink.write([report(3, text="line one\nline \"two\", end")])
    sink.close(complete=True)
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["text"] == "line one\nline \"two\", end" and rows[0]["indication"] == ""
    assert rows[0]["findings"] == "Clear." and json.loads(rows[0]["metadata"]) == {"PatientAge": "090Y", "W": 70.5}
    assert json.loads(rows[0]["warnings"]) == ["sections: x"] and rows[0]["patient_id"] == ""


def test_a_file_radprep_did_not_write_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text('"name","text"\n"a","b"\n')
    with pytest.raises(InputError, match="CSV header"):
        CsvSink(tmp_path / "other.csv", fresh=False)
    (tmp_path / "other.jsonl").write_text('{"id": "a"}\nnot json\n{"id": "b"}\n')
    with pytest.raises(InputError, match="line 2 is not a JSON object"):
        list(JsonlSink(tmp_path / "other.jsonl", fresh=False).written_ids())
    assert (tmp_path / "other.jsonl").read_text().count("\n") == 3


def test_the_errors_file_reads_back_its_entries(tmp_path: Path) -> None:
    errors = ErrorSink(tmp_path / "e.jsonl", fresh=True)
    errors.write([{"where": "line 2", "id": None, "field": "<record>", "error": "invalid JSON at column 3"}])
    errors.close(complete=False)
    with (tmp_path / "e.jsonl").open("a") as handle:
        handle.write('{"where": "line 9", "id": "x", "fie')  # torn
    assert list(ErrorSink(tmp_path / "e.jsonl", fresh=False).written()) == [
        {"where": "line 2", "id": None, "field": "<record>", "error": "invalid JSON at column 3"}]


def test_parquet_parts_are_atomic_and_combine_to_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(parquet_sink, "PART_ROWS", 4)
    monkeypatch.setattr(parquet_sink, "ROW_GROUP_ROWS", 6)
    reports = [report(n) for n in range(15)]
    straight = tmp_path / "a.parquet"
    sink = ParquetSink(straight, fresh=True)
    sink.write(reports)
    sink.close(complete=True)
    assert not (tmp_path / "a.parquet.parts").exists()
    table = pq.read_table(straight)
    assert table.column("id").to_pylist() == [r["id"] for r in reports]
    assert pq.ParquetFile(straight).metadata.num_row_groups == 3
    first = table.to_pylist()[0]
    assert first["sections"]["findings"] == "Clear." and json.loads(first["metadata"])["W"] == 70.5
    assert first["entities"] == [{"type": "DATE", "start": 0, "end": 3}]

    interrupted = tmp_path / "b.parquet"
    sink = ParquetSink(interrupted, fresh=True)
    for chunk in (reports[:3], reports[3:9]):  # committed in parts of 4: rows 9.. were never written
        sink.write(chunk)
        sink.commit()
    (tmp_path / "b.parquet.parts" / "part-000002.tmp").write_bytes(b"PAR1 torn")  # killed mid-part
    resumed = ParquetSink(interrupted, fresh=False)
    done = list(resumed.written_ids())
    assert done == [r["id"] for r in reports[:8]]
    assert not list((tmp_path / "b.parquet.parts").glob("*.tmp"))
    resumed.write(reports[8:])
    resumed.close(complete=True)
    assert interrupted.read_bytes() == straight.read_bytes()

    again = ParquetSink(interrupted, fresh=False)  # a finished file resumes too: nothing is lost
    assert list(again.written_ids()) == [r["id"] for r in reports]
    again.close(complete=True)
    assert interrupted.read_bytes() == straight.read_bytes()
