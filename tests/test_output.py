"""Reading radprep output back: every format `radprep batch` writes, read by compare, stats and split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.batch.sink import open_sink
from service.cli import main
from service.compare import compare
from service.dataset.split import Sizes, split_file
from service.dataset.stats import as_json, collect
from service.errors import RecordError
from service.output import read_output
from service.records import RawRow

FORMATS = (".jsonl", ".csv", ".parquet")


def report(record_id: str, patient: str | None, findings: str | None, **metadata: object) -> dict:
    text = f"INDICATION: Cough.\nFINDINGS: {findings or ''}\nIMPRESSION: Normal, see Dr. Rowan Pike."
    return {
        "id": record_id, "patient_id": patient, "text": text,
        "sections": {"indication": "Cough.", "comparison": None, "findings": findings, "impression": "Normal."},
        "entities": [{"type": "PERSON", "start": text.index("Rowan"), "end": len(text) - 1}],
        "metadata": metadata, "warnings": ["sections: rules confidence 0.80 (demo)"] if findings is None else [],
    }


REPORTS = [
    report("r1", "PX-1", "Lungs clear.", PatientID="PX-1", StudyDate="20210305", PatientAge="045Y",
           PatientWeight=71.5, PatientSex="F"),
    report("r2", "PX-1", None, PatientID="PX-1", PatientAge="90"),
    report("r3", None, "Small left effusion. “Quoted”, comma.", AccessionNumber="AC-9", PatientSex="M"),
    report("r4", "PX-2", "Heart size normal.\nNo edema."),
]


def write_output(path: Path, reports: list[dict]) -> Path:
    sink = open_sink(path, fresh=True)
    sink.write(reports)
    sink.close(complete=True)
    return path


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_output_format_reads_back_as_the_jsonl_lines(tmp_path: Path, suffix: str) -> None:
    path = write_output(tmp_path / f"out{suffix}", REPORTS)
    rows = list(read_output(path))
    assert all(isinstance(row, RawRow) for row in rows)
    assert [row.data for row in rows if isinstance(row, RawRow)] == REPORTS


def test_a_csv_json_cell_that_is_not_json_is_an_error_of_its_row(tmp_path: Path) -> None:
    path = write_output(tmp_path / "out.csv", REPORTS[:1])
    path.write_text(path.read_text(encoding="utf-8").replace('"[{""type""', '"[{oops'), encoding="utf-8")
    [error] = read_output(path)
    assert isinstance(error, RecordError) and (error.where, error.field, error.record_id) == ("row 1", "entities", "r1")


@pytest.mark.parametrize("a_suffix, b_suffix", [(".parquet", ".csv"), (".csv", ".jsonl"), (".jsonl", ".parquet")])
def test_compare_reads_any_two_formats(tmp_path: Path, a_suffix: str, b_suffix: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    other = [dict(r, sections={**r["sections"], "findings": "Lungs clear."}) for r in REPORTS]
    expected = compare(write_output(tmp_path / "a.jsonl", REPORTS), write_output(tmp_path / "b.jsonl", other))
    a, b = write_output(tmp_path / f"a{a_suffix}", REPORTS), write_output(tmp_path / f"b{b_suffix}", other)
    assert compare(a, b) == expected
    assert expected["sections"]["findings"]["disagreeing_ids"] == ["r2", "r3", "r4"]
    assert main(["compare", str(a), str(b)]) == 0
    assert "4 records in both" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", FORMATS)
def test_stats_reads_a_split_folder_in_every_format(tmp_path: Path, suffix: str) -> None:
    """`radprep split` writes the splits in the format of its input; `radprep stats` reads them all."""
    source = write_output(tmp_path / f"out{suffix}", REPORTS)
    with (tmp_path / "errors.jsonl").open("w") as errors:
        result = split_file(source, tmp_path / "splits", Sizes((2, 1, 1), proportional=False), 0, errors)
    assert result.errors == 0 and sum(result.records) == len(REPORTS)
    assert sorted(p.name for p in (tmp_path / "splits").iterdir()) == sorted(
        f"{name}{suffix}" for name in ("train", "validation", "test"))
    per_split, bad = collect(tmp_path / "splits", None)
    assert bad == []
    figures = as_json(per_split)["splits"]["total"]
    assert (figures["studies"], figures["patients"]) == (4, 3)
    assert figures["sections_present"] == {"indication": 4, "comparison": 0, "findings": 3, "impression": 4}
    assert figures["sex"] == {"M": 1, "F": 1, "U": 2} and figures["age"]["80+"] == 1


def test_stats_refuses_a_folder_with_one_split_in_two_formats(tmp_path: Path) -> None:
    for suffix in (".jsonl", ".parquet"):
        write_output(tmp_path / f"train{suffix}", REPORTS)
    assert main(["stats", str(tmp_path)]) == 2


def test_a_processed_csv_line_keeps_its_metadata_types(tmp_path: Path) -> None:
    path = write_output(tmp_path / "out.csv", REPORTS[:1])
    [row] = read_output(path)
    assert isinstance(row, RawRow)
    assert json.dumps(row.data["metadata"]) == json.dumps(REPORTS[0]["metadata"])
