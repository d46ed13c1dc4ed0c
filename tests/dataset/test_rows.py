"""Reading records as dicts, and the patient a record belongs to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.dataset.rows import Row, group_key, metadata_of, read_rows
from service.deid.keys import patient_key
from service.errors import InputError, RecordError
from service.records import InputRecord


@pytest.mark.parametrize(("patient_id", "metadata"), [
    ("PT-1", {}), ("PT-1", {"PatientID": "OTHER"}), (None, {"PatientID": "M-77"}), (None, {}),
])
def test_the_patient_is_the_one_the_pipeline_keys_dates_by(patient_id: str | None, metadata: dict) -> None:
    record = InputRecord(id="r9", text="x", patient_id=patient_id, metadata=metadata)
    row = Row("line 1", {"id": "r9", "patient_id": patient_id, "metadata": metadata})
    # the pipeline's key (these IDs are already in upper case without spaces)
    assert group_key(row) == patient_key(record.patient_id, record.metadata.get("PatientID"), record.id)


def test_ids_that_differ_only_in_case_and_spaces_are_one_patient() -> None:
    keys = {group_key(Row("", {"patient_id": p})) for p in ("ab-12", "AB-12", " AB-12 ", "AB- 12")}
    assert keys == {"patient:AB-12"}


def test_metadata_comes_from_an_object_a_json_cell_or_columns() -> None:
    assert metadata_of(Row("row 1", {"metadata": '{"PatientID": "X"}'})) == {"PatientID": "X"}
    assert metadata_of(Row("row 1", {"PatientID": "Y", "StudyDate": "20200101"}))["PatientID"] == "Y"
    assert group_key(Row("row 1", {"id": "a", "PatientID": "Y"})) == "patient:Y"
    with pytest.raises(RecordError, match="row 2 .*'metadata': not a JSON object"):
        metadata_of(Row("row 2", {"id": "a", "metadata": "{oops"}))


def test_a_record_with_no_patient_and_no_id_cannot_be_placed() -> None:
    with pytest.raises(RecordError, match="field 'id'"):
        group_key(Row("line 3", {"text": "x"}))


def test_jsonl_rows_keep_their_line_and_report_bad_ones(tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_bytes(b'{"id": "a"}\n\n\xff\xfe\n"text"\n')
    items = list(read_rows(source))
    assert isinstance(items[0], Row) and items[0].line == b'{"id": "a"}\n' and items[0].where == "line 1"
    assert [(e.where, e.problem) for e in items[1:] if isinstance(e, RecordError)] == [
        ("line 3", "not valid UTF-8"), ("line 4", "expected a JSON object")]
    assert json.loads(items[0].line) == items[0].data


def test_unknown_formats_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(InputError, match="unknown input format"):
        read_rows(tmp_path / "a.txt")
    with pytest.raises(InputError, match="not found"):
        read_rows(tmp_path / "b.jsonl")
