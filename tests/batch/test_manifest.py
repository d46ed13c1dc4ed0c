"""The run manifest: a resume refuses another secret, other options or a changed input (exit 2,
nothing written); `--overwrite` starts afresh; the manifest holds no secret and no report text."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from service.batch.manifest import manifest_path, secret_fingerprint
from service.cli import main
from tests.batch.conftest import SECRET, make_records, write_jsonl

OTHER_SECRET = b"another-batch-test-secret"


@pytest.fixture
def first_run(tmp_path: Path, monkeypatch) -> tuple[list[object], Path, Path]:
    """16 records written (two batches of 8) of a 24-record input: as if the run had been stopped there."""
    monkeypatch.setenv("RADPREP_SECRET", SECRET.decode())
    monkeypatch.setenv("RADPREP_ROUTE", "rules")
    monkeypatch.setenv("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    rows = make_records(24, seed=11)
    output = tmp_path / "out.jsonl"
    assert batch(write_jsonl(tmp_path / "first.jsonl", rows[:16]), output) == 0
    return rows, write_jsonl(tmp_path / "in.jsonl", rows), output


def batch(source: Path, output: Path, *extra: str) -> int:
    return main(["batch", str(source), "-o", str(output), "--batch-size", "8", "--no-progress", *extra])


def test_the_same_secret_options_and_input_resume(first_run, caplog) -> None:
    rows, source, output = first_run
    assert batch(source, output) == 0
    assert "16 were there already" in caplog.text
    assert [json.loads(line)["id"] for line in output.read_text().splitlines()] == [r["id"] for r in rows]
    manifest = json.loads(manifest_path(output).read_text())
    assert [b["records"] for b in manifest["batches"]] == [8, 8, 8]


def test_another_secret_is_refused_and_nothing_is_written(first_run, monkeypatch, capsys) -> None:
    _, source, output = first_run
    before = output.read_bytes()
    monkeypatch.setenv("RADPREP_SECRET", OTHER_SECRET.decode())
    assert batch(source, output) == 2
    err = capsys.readouterr().err
    assert "another RADPREP_SECRET" in err and "--overwrite" in err
    assert OTHER_SECRET.decode() not in err and SECRET.decode() not in err
    assert output.read_bytes() == before


@pytest.mark.parametrize(("extra", "env", "named"), [
    (["--batch-size", "4"], {}, "batch_size"),
    ([], {"RADPREP_MODE": "text"}, "mode"),
    ([], {"RADPREP_MAX_TEXT_CHARS": "5000"}, "max_text_chars"),
])
def test_other_options_are_refused_by_name(first_run, monkeypatch, capsys, extra, env, named) -> None:
    _, source, output = first_run
    before = output.read_bytes()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["batch", str(source), "-o", str(output), "--no-progress", *(extra or ["--batch-size", "8"])]) == 2
    err = capsys.readouterr().err
    assert "other options" in err and named in err
    assert output.read_bytes() == before


def test_a_changed_input_is_refused_and_nothing_is_written(first_run, tmp_path, capsys) -> None:
    rows, _, output = first_run
    before = output.read_bytes()
    changed = [dict(r) for r in rows]  # type: ignore[arg-type]
    changed[11]["text"] = str(changed[11]["text"]) + " Added later."
    assert batch(write_jsonl(tmp_path / "changed.jsonl", changed), output) == 2
    err = capsys.readouterr().err
    assert "input differs" in err and "records 9-16" in err and "Added later" not in err
    assert output.read_bytes() == before


def test_overwrite_starts_afresh_with_another_secret(first_run, monkeypatch) -> None:
    rows, source, output = first_run
    monkeypatch.setenv("RADPREP_SECRET", OTHER_SECRET.decode())
    assert batch(source, output, "--overwrite") == 0
    manifest = json.loads(manifest_path(output).read_text())
    assert manifest["secret"] == secret_fingerprint(OTHER_SECRET)
    assert len(output.read_text().splitlines()) == len(rows)


def test_the_manifest_holds_no_secret_and_no_report_text(first_run) -> None:
    rows, _, output = first_run
    text = manifest_path(output).read_text()
    assert SECRET.decode() not in text
    assert hashlib.sha256(SECRET).hexdigest() not in text  # keyed: not a plain hash of the secret
    for row in rows[:16]:
        assert row["id"] not in text and str(row["text"])[:20] not in text  # type: ignore[index]

