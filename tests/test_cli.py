"""End-to-end runs of `radprep process` on reports written for these tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import main

PHI_VALUES = [
    "Thornquist", "THORNQUIST", "Evelyn", "Delacroix", "PT-7781", "ACC55501", "11/02/2020", "03/05/2021",
    "March 5, 2021", "(312) 555-0147", "Lakeshore", "94-year-old", "20210305",
]
RECORDS = [
    {
        "id": "r1", "patient_id": "PT-7781",
        "metadata": {"PatientID": "PT-7781", "AccessionNumber": "ACC55501", "StudyDate": "20210305",
                     "InstitutionName": "Lakeshore General Hospital", "PatientAge": "094Y", "PatientSex": "F"},
        "text": (
            "CLINICAL HISTORY: 94-year-old woman with cough.\nCOMPARISON: 11/02/2020.\n"
            "FINDINGS: Patchy right lower lobe consolidation. Kerley B lines.\n"
            "IMPRESSION: Pneumonia. Discussed with Dr. Evelyn Thornquist at 14:20 on 03/05/2021, (312) 555-0147.\n"
            "Electronically signed by: Paul Delacroix, MD"
        ),
    },
    {
        "id": "r2", "patient_id": "PT-7781",
        "text": (
            "Indication: Follow-up.\nComparison: March 5, 2021.\nFindings: Improved.\n"
            "Impression: Better. Per Dr. Thornquist."
        ),
    },
    {"id": "r3", "text": "The heart is normal in size. The lungs are clear."},
]


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Route rules: deterministic and quick; the LLM path has its own tests (tests/backends, tests/sections).
    full_env = {**os.environ, "RADPREP_ROUTE": "rules", **(env or {})}
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, env=full_env)


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], subprocess.CompletedProcess[str], Path]:
    tmp = tmp_path_factory.mktemp("cli")
    source = _write_jsonl(tmp / "in.jsonl", RECORDS)
    done = _run(["process", str(source), "-o", str(tmp / "out.jsonl")], {"RADPREP_SECRET": "cli-test-s3cret-key"})
    lines = [json.loads(line) for line in (tmp / "out.jsonl").read_text().splitlines()]
    return lines, done, tmp


def test_every_record_comes_out_in_order_with_sections(processed) -> None:
    lines, done, _ = processed
    assert done.returncode == 0, done.stderr
    assert [line["id"] for line in lines] == ["r1", "r2", "r3"]
    first = lines[0]
    assert set(first) == {"id", "patient_id", "text", "sections", "entities", "metadata", "warnings"}
    assert first["sections"]["findings"] == "Patchy right lower lobe consolidation. Kerley B lines."
    assert first["sections"]["impression"].startswith("Pneumonia. Discussed with Dr. ")
    assert "signed" not in first["sections"]["impression"]
    # no headers: the heuristic split (the learned one may call the last sentence the impression), flagged
    third = lines[2]["sections"]
    assert third["findings"].startswith("The heart is normal in size.") and third["indication"] is None
    assert " ".join(s for s in (third["findings"], third["impression"]) if s) == lines[2]["text"]
    assert lines[2]["warnings"] and "no_headers" in lines[2]["warnings"][0]


def test_entities_point_into_the_output_text(processed) -> None:
    lines, _, _ = processed
    for line in lines:
        for entity in line["entities"]:
            assert 0 <= entity["start"] < entity["end"] <= len(line["text"])
            assert set(entity) == {"type", "start", "end"}
    types = {e["type"] for e in lines[0]["entities"]}
    assert {"AGE", "DATE", "PERSON", "PHONE"} <= types


def test_no_original_phi_in_output_or_logs(processed) -> None:
    lines, done, _ = processed
    dumped = json.dumps(lines) + done.stdout + done.stderr
    for value in PHI_VALUES:
        assert value not in dumped, value


def test_same_patient_same_shift_and_same_pseudonyms(processed) -> None:
    lines, _, _ = processed
    r1, r2 = lines[0], lines[1]
    assert r1["patient_id"] == r2["patient_id"] != "PT-7781"
    assert r1["metadata"]["PatientID"] == r1["patient_id"]
    surname = r1["sections"]["impression"].split("Dr. ")[1].split(" at ")[0].split()[-1]
    assert f"Per Dr. {surname}." in r2["text"]
    shifted_study = r1["metadata"]["StudyDate"]  # 20210305 shifted by the patient's offset
    month_name = r2["sections"]["comparison"].split()[0]
    import datetime as dt
    study = dt.datetime.strptime(shifted_study, "%Y%m%d")
    assert month_name == study.strftime("%B") and r2["sections"]["comparison"] == study.strftime("%B %-d, %Y.")
    assert r1["metadata"]["PatientAge"] == "090Y"


def test_a_second_run_with_the_same_secret_is_byte_identical(processed, tmp_path: Path) -> None:
    _, _, first_dir = processed
    again = tmp_path / "again.jsonl"
    assert main(["process", str(first_dir / "in.jsonl"), "-o", str(again)]) == 2  # no secret in this env
    os.environ.update(RADPREP_SECRET="cli-test-s3cret-key", RADPREP_ROUTE="rules")
    try:
        assert main(["process", str(first_dir / "in.jsonl"), "-o", str(again)]) == 0
    finally:
        del os.environ["RADPREP_SECRET"], os.environ["RADPREP_ROUTE"]
    assert again.read_bytes() == (first_dir / "out.jsonl").read_bytes()


def test_without_a_secret_the_command_refuses_unless_ephemeral(tmp_path: Path) -> None:
    source = _write_jsonl(tmp_path / "in.jsonl", RECORDS[2:])
    refused = _run(["process", str(source), "-o", str(tmp_path / "o.jsonl")])
    assert refused.returncode == 2 and "RADPREP_SECRET is not set" in refused.stderr
    assert not (tmp_path / "o.jsonl").exists()
    ephemeral = _run(["process", str(source), "-o", str(tmp_path / "o.jsonl"), "--ephemeral-key"])
    assert ephemeral.returncode == 0 and "will not match any other run" in ephemeral.stderr
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1


def test_bad_records_go_to_the_errors_file_and_the_rest_is_processed(tmp_path: Path) -> None:
    rows: list[object] = [
        RECORDS[0],
        '{"id": "broken", "text": ',
        {"id": "empty", "text": ""},
        {"id": "typed", "text": ["Dr. Thornquist"]},
        {"id": "extra", "text": "Lungs clear.", "surname": "Thornquist"},
        {"text": "no id, Dr. Thornquist"},
        RECORDS[2],
    ]
    source = _write_jsonl(tmp_path / "in.jsonl", rows)
    done = _run(["process", str(source), "-o", str(tmp_path / "out.jsonl")], {"RADPREP_SECRET": "cli-test-secret-k"})
    assert done.returncode == 1
    out_ids = [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert out_ids == ["r1", "r3"]
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text().splitlines()]
    assert [(e["where"], e["id"], e["field"]) for e in errors] == [
        ("line 2", None, "<record>"), ("line 3", "empty", "text"), ("line 4", "typed", "text"),
        ("line 5", "extra", "surname"), ("line 6", None, "id"),
    ]
    everything = done.stderr + (tmp_path / "out.errors.jsonl").read_text()
    assert "Thornquist" not in everything and "line 4" in done.stderr


def test_hostile_values_are_errors_of_their_record_and_the_valid_ones_are_written(tmp_path: Path) -> None:
    good = [json.dumps({"id": f"g{i}", "text": f"FINDINGS: Nodule {i}.\nIMPRESSION: Follow up."}) for i in range(6)]
    hostile = [r'{"id": "s", "patient_id": "PT-\ud800", "text": "FINDINGS: x"}',
               '{"id": "n", "text": "FINDINGS: x", "metadata": {"PatientWeight": NaN}}',
               '{"id": "d", "text": "FINDINGS: x", "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"]
    source = _write_jsonl(tmp_path / "in.jsonl", [*good[:2], hostile[0], *good[2:4], *hostile[1:], *good[4:]])
    for command in ("process", "batch"):
        output = tmp_path / f"{command}.jsonl"
        done = _run([command, str(source), "-o", str(output)], {"RADPREP_SECRET": "hostile-input-test-secret"})
        assert done.returncode == 1 and "Traceback" not in done.stderr
        text = output.read_text(encoding="utf-8")
        assert [json.loads(line)["id"] for line in text.splitlines()] == [f"g{i}" for i in range(6)]
        assert "NaN" not in text
        errors = [json.loads(line) for line in output.with_suffix(".errors.jsonl").read_text().splitlines()]
        assert [(e["where"], e["id"], e["field"]) for e in errors] == [
            ("line 3", "s", "patient_id"), ("line 6", "n", "metadata.PatientWeight"), ("line 7", None, "<record>")]


def test_csv_and_parquet_inputs(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "in.csv").write_text('id,text,patient_id\nc1,"FINDINGS: Clear.\nIMPRESSION: Normal.",P1\n')
    pq.write_table(pa.table({"id": ["p1"], "text": ["FINDINGS: Clear. IMPRESSION: Normal."]}), tmp_path / "in.parquet")
    os.environ.update(RADPREP_SECRET="cli-test-secret-k", RADPREP_ROUTE="rules")
    try:
        for name in ("in.csv", "in.parquet"):
            out = tmp_path / f"{name}.out.jsonl"
            assert main(["process", str(tmp_path / name), "-o", str(out)]) == 0
            (line,) = [json.loads(x) for x in out.read_text().splitlines()]
            assert line["sections"]["findings"] == "Clear." and line["sections"]["impression"] == "Normal."
    finally:
        del os.environ["RADPREP_SECRET"], os.environ["RADPREP_ROUTE"]


def test_help_describes_the_contract() -> None:
    done = _run(["process", "--help"])
    assert done.returncode == 0
    for words in ("--ephemeral-key", "errors", ".parquet", "Exit status"):
        assert words in done.stdout


def test_no_phi_of_real_export_layouts_in_output_or_logs(tmp_path: Path) -> None:
    """Our own VistA-style, HL7 sign-off, flattened and dictation fixtures through `radprep process`:
    every name token, date and ID is replaced, and none reaches stdout or stderr."""
    from benchmarks import deid_layouts

    reports = deid_layouts.generate(12, seed=5)
    source = _write_jsonl(tmp_path / "layouts.jsonl",
                          [{"id": r.id, "patient_id": r.patient_id, "text": r.text} for r in reports])
    done = _run(["process", str(source), "-o", str(tmp_path / "out.jsonl")], {"RADPREP_SECRET": "cli-layouts-secret"})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    results = [type("R", (), {"text": line["text"]})() for line in lines]
    assert deid_layouts.left_in_output(reports, results) == {"name_tokens": [], "dates": [], "ids": []}
    logs = done.stdout + done.stderr
    for value in {g.text for r in reports for g in r.phi if len(g.text) >= 4}:
        assert value not in logs, "a PHI value reached the logs"


def test_an_internal_error_prints_its_type_only_and_the_old_output_stays_whole(tmp_path: Path, monkeypatch,
                                                                                capsys) -> None:
    from service.pipeline import Pipeline

    source = _write_jsonl(tmp_path / "in.jsonl", RECORDS)
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "old"}\n')  # a complete output of an earlier run

    def crash(self, records):
        raise RuntimeError(f"a bug that quotes {records[0].text}")  # not a record's failure: the run stops

    monkeypatch.setenv("RADPREP_SECRET", "cli-test-secret-k")
    monkeypatch.setenv("RADPREP_ROUTE", "rules")
    monkeypatch.setattr(Pipeline, "process", crash)
    assert main(["process", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "code internal" in err and "Traceback" not in err
    for value in PHI_VALUES:
        assert value not in err, value
    assert out.read_text() == '{"id": "old"}\n'  # never replaced by a half file
    assert (tmp_path / "out.incomplete.jsonl").exists()
    assert main(["--debug", "process", str(source), "-o", str(out)]) == 2
    assert "Traceback" in capsys.readouterr().err  # only when asked for


def test_process_writes_csv_and_parquet_like_batch(tmp_path: Path, monkeypatch) -> None:
    source = _write_jsonl(tmp_path / "in.jsonl", RECORDS)
    monkeypatch.setenv("RADPREP_SECRET", "cli-test-secret-k")
    monkeypatch.setenv("RADPREP_ROUTE", "rules")
    for suffix in (".csv", ".parquet"):
        assert main(["process", str(source), "-o", str(tmp_path / f"p{suffix}")]) == 0
        assert main(["batch", str(source), "-o", str(tmp_path / f"b{suffix}")]) == 0
        assert (tmp_path / f"p{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    assert not list(tmp_path.glob("*.incomplete*")) and not list(tmp_path.glob("*.parts"))
