import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service.errors import InputError, RecordError
from service.records import InputRecord, read_records, validate

LIMIT = 1000


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        ([1, 2], "<record>", "expected a JSON object, got array"),
        ({"text": "x"}, "id", "required"),
        ({"id": 7, "text": "x"}, "id", "expected a string, got int"),
        ({"id": "a"}, "text", "required"),
        ({"id": "a", "text": ""}, "text", "empty"),
        ({"id": "a", "text": "   \n"}, "text", "empty"),
        ({"id": "a", "text": 5}, "text", "expected a string, got int"),
        ({"id": "a", "text": "x" * (LIMIT + 1)}, "text", f"{LIMIT + 1} characters, over the limit of {LIMIT}"),
        ({"id": "a", "text": "ab\x00cd"}, "text", "contains binary data (NUL or control characters)"),
        ({"id": "a", "text": "x", "patient_id": 12}, "patient_id", "expected a string or null, got int"),
        ({"id": "a", "text": "x", "metadata": []}, "metadata", "expected an object, got array"),
        ({"id": "a", "text": "x", "metadata": {"PatientName": "q"}}, "metadata.PatientName", "unknown metadata field"),
        ({"id": "a", "text": "x", "metadata": {"PatientAge": [1]}}, "metadata.PatientAge",
         "expected a string or number, got array"),
        ({"id": "a", "text": "x", "notes": "q"}, "notes", "unknown field (allowed: id, text, patient_id, metadata)"),
    ],
)
def test_bad_records_name_the_record_and_the_field(raw: object, field: str, problem: str) -> None:
    with pytest.raises(RecordError) as info:
        validate(raw, "line 3", LIMIT)
    assert (info.value.where, info.value.field, info.value.problem) == ("line 3", field, problem)
    assert str(info.value).startswith("line 3")


def test_error_text_never_contains_field_values() -> None:
    with pytest.raises(RecordError) as info:
        validate({"id": "a", "text": "John Smith", "patient_id": 4242424242}, "line 1", LIMIT)
    assert "4242424242" not in str(info.value) and "John" not in str(info.value)


def test_a_good_record() -> None:
    raw = {"id": "a", "text": "Lungs clear.", "patient_id": "P1", "metadata": {"PatientAge": "061Y"}}
    assert validate(raw, "line 1", LIMIT) == InputRecord("a", "Lungs clear.", "P1", {"PatientAge": "061Y"})


def test_jsonl_reader_reports_bad_lines_and_keeps_going(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "one"}\n{broken\n\n\xff\xfe\n{"id": "b", "text": "two"}\n'
    )
    items = list(read_records(path, LIMIT))
    assert [type(i).__name__ for i in items] == ["InputRecord", "RecordError", "RecordError", "InputRecord"]
    assert [i.where for i in items if isinstance(i, RecordError)] == ["line 2", "line 4"]


def test_csv_reader_folds_metadata_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,text,PatientID,StudyDate\na,"Lungs clear.\nNo effusion.",P1,20200101\n', encoding="utf-8")
    (item,) = read_records(path, LIMIT)
    assert item == InputRecord("a", "Lungs clear.\nNo effusion.", None, {"PatientID": "P1", "StudyDate": "20200101"})


def test_parquet_reader(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    table = pa.table({"id": ["a", "b"], "text": ["Lungs clear.", None], "patient_id": ["P1", None]})
    pq.write_table(table, path)
    first, second = read_records(path, LIMIT)
    assert first == InputRecord("a", "Lungs clear.", "P1", {})
    assert isinstance(second, RecordError) and second.where == "row 2" and second.field == "text"


def test_unknown_format_and_missing_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_records(tmp_path / "nope.jsonl", LIMIT)
    (tmp_path / "x.txt").write_text(json.dumps({"id": "a"}))
    with pytest.raises(InputError, match="unknown input format"):
        read_records(tmp_path / "x.txt", LIMIT)
