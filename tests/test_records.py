import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service.errors import InputError, RecordError
from service.records import InputRecord, NestingError, decode_json, read_records, validate

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


HOSTILE = [
    pytest.param(r'{"id": "\ud800", "text": "x"}', "id", "not valid Unicode text (a lone surrogate)", None,
                 id="surrogate-id"),
    pytest.param(r'{"id": "a", "text": "Lungs \udfff clear."}', "text", "not valid Unicode text (a lone surrogate)",
                 "a", id="surrogate-text"),
    pytest.param(r'{"id": "a", "text": "x", "patient_id": "P\ud800"}', "patient_id",
                 "not valid Unicode text (a lone surrogate)", "a", id="surrogate-patient-id"),
    pytest.param(r'{"id": "a", "text": "x", "metadata": {"InstitutionName": "St \udc00"}}', "metadata.InstitutionName",
                 "not valid Unicode text (a lone surrogate)", "a", id="surrogate-metadata-value"),
    pytest.param(r'{"id": "a", "text": "x", "metadata": {"\ud800": 1}}', "metadata.<unnamed field>",
                 "unknown metadata field", "a", id="surrogate-metadata-key"),
    pytest.param(r'{"id": "a", "text": "x", "\ud800": 1}', "<unnamed field>",
                 "unknown field (allowed: id, text, patient_id, metadata)", "a", id="surrogate-field-name"),
    pytest.param('{"id": "a", "text": "x", "metadata": {"PatientAge": NaN}}', "metadata.PatientAge",
                 "not a finite number (NaN or infinity)", "a", id="nan"),
    pytest.param('{"id": "a", "text": "x", "metadata": {"PatientWeight": -Infinity}}', "metadata.PatientWeight",
                 "not a finite number (NaN or infinity)", "a", id="minus-infinity"),
    pytest.param('{"id": "a", "text": "x", "metadata": {"PatientWeight": 1e999}}', "metadata.PatientWeight",
                 "not a finite number (NaN or infinity)", "a", id="1e999"),
    pytest.param('{"id": "a", "text": "x", "metadata": {"PatientAge": ' + "7" * 5000 + "}}", "metadata.PatientAge",
                 "number out of range (more than 20 digits)", "a", id="5000-digit-int"),
    pytest.param(f'{{"id": "a", "text": "x", "metadata": {{"PatientAge": {2**60}}}}}', "metadata.PatientAge",
                 "number out of range (beyond ±2**53)", "a", id="int-beyond-2**53"),
    pytest.param('{"id": ' + "1" * 5000 + ', "text": "x"}', "id", "expected a string, got int", None,
                 id="5000-digit-id"),
    pytest.param('{"id": "' + "i" * 257 + '", "text": "x"}', "id", "longer than 256 characters", None, id="long-id"),
    pytest.param('{"id": "a", "text": "x", "patient_id": "' + "p" * 257 + '"}', "patient_id",
                 "longer than 256 characters", "a", id="long-patient-id"),
    pytest.param('{"id": "a", "text": "x", "metadata": {"InstitutionName": "' + "h" * 1025 + '"}}',
                 "metadata.InstitutionName", "longer than 1024 characters", "a", id="long-metadata-value"),
]


@pytest.mark.parametrize(("line", "field", "problem", "shown_id"), HOSTILE)
def test_hostile_values_are_errors_of_their_record_naming_the_field(line: str, field: str, problem: str,
                                                                    shown_id: str | None) -> None:
    with pytest.raises(RecordError) as info:
        validate(decode_json(line), "line 1", LIMIT)
    assert (info.value.field, info.value.problem, info.value.record_id) == (field, problem, shown_id)
    str(info.value).encode("utf-8")  # the message is writable: it never carries the bad string
    assert "7777" not in str(info.value) and "St " not in str(info.value) and "ppp" not in str(info.value)


def test_json_nested_too_deep_is_an_error_of_its_line_and_the_others_are_read(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    deep = '{"id": "deep", "text": "x", "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"
    nan = '{"id": "n", "text": "x", "metadata": {"PatientAge": NaN}}'
    path.write_text("\n".join(['{"id": "a", "text": "one"}', deep, nan, '{"id": "b", "text": "two"}']) + "\n")
    items = list(read_records(path, LIMIT))
    assert [i.id for i in items if isinstance(i, InputRecord)] == ["a", "b"]
    errors = [(i.where, i.field, i.problem) for i in items if isinstance(i, RecordError)]
    assert errors == [("line 2", "<record>", "JSON nested too deeply"),
                      ("line 3", "metadata.PatientAge", "not a finite number (NaN or infinity)")]
    with pytest.raises(NestingError):
        decode_json("[" * 100_000)


def test_csv_metadata_cell_with_hostile_json_is_an_error_of_its_row(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,text,metadata\na,Lungs clear.,"{""PatientAge"": Infinity}"\nb,Clear.,"' + "[" * 50_000
                    + '"\nc,Clear.,\n', encoding="utf-8")
    first, second, third = read_records(path, LIMIT)
    assert isinstance(first, RecordError) and (first.field, first.record_id) == ("metadata.PatientAge", "a")
    assert isinstance(second, RecordError) and (second.field, second.record_id) == ("metadata", "b")
    assert third == InputRecord("c", "Clear.", None, {})


def test_finite_numbers_within_range_are_kept() -> None:
    raw = {"id": "a", "text": "x", "metadata": {"PatientWeight": 71.5, "PatientAge": 2**53}}
    assert validate(raw, "line 1", LIMIT).metadata == {"PatientWeight": 71.5, "PatientAge": 2**53}


def test_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a byte-order mark; its first column is still `id`."""
    path = tmp_path / "in.csv"
    path.write_text("id,text,PatientAge\na,Lungs clear.,045Y\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(read_records(path, LIMIT)) == [InputRecord("a", "Lungs clear.", None, {"PatientAge": "045Y"})]


def test_jsonl_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    assert [i.id for i in read_records(path, LIMIT) if isinstance(i, InputRecord)] == ["a", "b"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_unknown_column_names_the_allowed_columns_metadata_included(tmp_path: Path, suffix: str) -> None:
    rows = [{"id": "a", "text": "Lungs clear.", "Notes": "Thornquist called", "Mrs Delacroix": "x"}]
    path = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        path.write_text("id,text,Notes,Mrs Delacroix\na,Lungs clear.,Thornquist called,x\n", encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    [error] = read_records(path, LIMIT)
    assert isinstance(error, RecordError) and error.record_id == "a"
    assert error.problem == ("unknown column (allowed: id, text, patient_id, metadata, PatientID, AccessionNumber, "
                             "PatientSex, EthnicGroup, PatientAge, PatientWeight, StudyDate, InstitutionName, "
                             "Manufacturer)")
    assert error.field in ("<unnamed field>", "Notes")
    assert "Thornquist" not in str(error) and "Delacroix" not in str(error)
