"""`radprep batch` as a user runs it: a subprocess killed with SIGKILL mid-run, then rerun to the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.batch.local import LocalEngine
from service.batch.runner import run_batches
from service.batch.sink import ErrorSink, open_sink
from service.cli import main
from service.pipeline import Pipeline
from service.records import read_records
from tests.batch.conftest import SECRET, make_records, write_jsonl


def command(source: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "service.cli", "batch", str(source), "-o", str(output), "--batch-size", "8", *extra]


def environment() -> dict[str, str]:
    return {**os.environ, "RADPREP_ROUTE": "rules", "RADPREP_SECRET": SECRET.decode(),
            "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}


def test_kill_9_then_rerun_gives_every_record_once_and_the_same_bytes(pipeline: Pipeline, tmp_path: Path) -> None:
    rows = make_records(400, seed=5, bad_every=37)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    reference = tmp_path / "reference.jsonl"
    run_batches(read_records(source, 100_000), LocalEngine(pipeline), open_sink(reference, True),
                ErrorSink(tmp_path / "reference.errors.jsonl", True), 8, progress=False)

    output = tmp_path / "out.jsonl"
    victim = subprocess.Popen(command(source, output), env=environment(), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and victim.poll() is None:
        if output.exists() and output.stat().st_size > 40_000:  # some dozens of reports written
            break
        time.sleep(0.02)
    assert victim.poll() is None, "the run ended before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    written = output.read_bytes().count(b"\n")
    assert 0 < written < 390

    done = subprocess.run(command(source, output), env=environment(), capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # 1: the input has invalid records
    assert "were there already" in done.stderr and "10 errors" in done.stderr
    ids = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    valid = [r["id"] for r in rows if isinstance(r, dict) and r["text"]]
    assert ids == valid  # every valid id once, in input order
    assert output.read_bytes() == reference.read_bytes()
    assert (tmp_path / "out.errors.jsonl").read_bytes() == (tmp_path / "reference.errors.jsonl").read_bytes()
    for row in rows:  # nothing of the report text in the logs
        if isinstance(row, dict) and row["text"]:
            assert row["text"].split("Dr. ")[1].split()[0] not in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--server", "http://x", "--engine", "ray"], "exclude each other"),
    (["--ray-address", "auto"], "needs --engine ray"),
    (["-o", "{input}"], "three different files"),
    (["-o", "out.txt"], "unknown output format"),
])
def test_contradictory_options_fail_clearly(tmp_path: Path, capsys, args: list[str], message: str,
                                            monkeypatch) -> None:
    monkeypatch.setenv("RADPREP_SECRET", "cli-test-secret-k")
    source = write_jsonl(tmp_path / "in.jsonl", make_records(2))
    argv = ["batch", str(source), "-o", str(tmp_path / "o.jsonl")]
    argv += [a.replace("{input}", str(source)) for a in args]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert source.read_text().count("\n") == 2


def test_without_a_secret_nothing_is_written(tmp_path: Path, capsys) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", make_records(2))
    assert main(["batch", str(source), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "RADPREP_SECRET is not set" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_help_names_the_engines_and_resume() -> None:
    done = subprocess.run([sys.executable, "-m", "service.cli", "batch", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for word in ("--server", "--concurrency", "--engine", "--ray-address", "--overwrite", "resumes", "--route"):
        assert word in done.stdout


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_second_run_on_the_same_output_exits_2_at_once_and_the_first_finishes_whole(tmp_path: Path,
                                                                                      suffix: str) -> None:
    rows = make_records(300, seed=11)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / f"out{suffix}"
    first = subprocess.Popen(command(source, output), env=environment(), stderr=subprocess.PIPE, text=True)
    lock = tmp_path / f"out{suffix}.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None and str(first.pid) not in _read(lock):
        time.sleep(0.02)
    assert first.poll() is None, "the first run ended before the second could start"
    second = subprocess.run(command(source, output), env=environment(), capture_output=True, text=True)
    assert second.returncode == 2
    assert f"{output} is being written by another radprep run (pid {first.pid})" in second.stderr
    assert "models loaded" not in second.stderr  # refused at once, before loading anything
    assert first.wait(300) == 0, first.stderr.read() if first.stderr else ""
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        ids = pq.read_table(output).column("id").to_pylist()
    elif suffix == ".csv":
        import csv

        with output.open(newline="", encoding="utf-8") as handle:
            ids = [row["id"] for row in csv.DictReader(handle)]
    else:
        ids = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert ids == [r["id"] for r in rows]  # every record once: nothing of the second run got in
    again = subprocess.run(command(source, output), env=environment(), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr  # the lock went with the first process: a rerun resumes


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def test_process_shares_the_lock(tmp_path: Path, capsys) -> None:
    from service.batch.lock import output_lock

    source = write_jsonl(tmp_path / "in.jsonl", make_records(3))
    output = tmp_path / "out.jsonl"
    with output_lock(output):
        assert main(["process", str(source), "-o", str(output), "--ephemeral-key"]) == 2
    assert "is being written by another radprep run" in capsys.readouterr().err
    assert not output.exists() and not (tmp_path / "out.incomplete.jsonl").exists()


@pytest.fixture
def quick_models(detector, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs reuse the session's Detector instead of loading spaCy again."""
    monkeypatch.setattr("service.pipeline.Detector", lambda settings: detector)
    monkeypatch.setenv("RADPREP_SECRET", SECRET.decode())
    monkeypatch.setenv("RADPREP_ALLOW_WEAK_SECRET", "1")


def test_a_named_llm_backend_that_cannot_answer_exits_2_before_anything_is_written(tmp_path: Path, capsys,
                                                                                    monkeypatch) -> None:
    """`--backend openai --route llm` with nothing configured used to send every report to the public
    endpoint without a key, fall back to the rules for all of them and exit 0."""
    monkeypatch.setenv("RADPREP_SECRET", "cli-test-secret-k")
    monkeypatch.setattr("service.pipeline.Detector", lambda settings: pytest.fail("models loaded before the check"))
    source = write_jsonl(tmp_path / "in.jsonl", make_records(3))
    assert main(["process", str(source), "-o", str(tmp_path / "out.jsonl"), "--route", "llm",
                 "--backend", "openai"]) == 2
    err = capsys.readouterr().err
    assert "https://api.openai.com/v1 needs a key: set RADPREP_OPENAI__API_KEY" in err
    monkeypatch.setenv("RADPREP_OPENAI__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RADPREP_OPENAI__API_KEY", "sk-do-not-show")
    assert main(["batch", str(source), "-o", str(tmp_path / "out.jsonl"), "--route", "llm", "--backend", "openai"]) == 2
    err = capsys.readouterr().err
    assert "http://127.0.0.1:9/v1 is unreachable" in err and "sk-do-not-show" not in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".lock") == ["in.jsonl"]


def test_too_many_fallbacks_end_with_exit_1_and_say_so(tmp_path: Path, caplog, quick_models, monkeypatch) -> None:
    """The fake backend with no reply queued fails every call: every report falls back to the rules."""
    source = write_jsonl(tmp_path / "in.jsonl", make_records(6))
    argv = ["batch", str(source), "-o", str(tmp_path / "out.jsonl"), "--route", "llm", "--backend", "fake",
            "--overwrite"]
    caplog.set_level("INFO", logger="radprep")
    assert main(argv) == 1
    err = caplog.text
    assert "6 fallbacks (100% of 6 reports sent to the LLM) to the rules" in err
    assert "the LLM failed for 6 of 6 reports (100%" in err and "RADPREP_MAX_FALLBACK_SHARE=0.5" in err
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 6  # the reports are written all the same
    monkeypatch.setenv("RADPREP_MAX_FALLBACK_SHARE", "1")
    caplog.clear()
    assert main(argv) == 0
    assert "100% of 6 reports" in caplog.text and "the LLM failed" not in caplog.text


def test_a_run_with_nothing_left_to_do_loads_no_model(tmp_path: Path, caplog, quick_models, monkeypatch) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", make_records(10))
    output = tmp_path / "out.jsonl"
    argv = ["batch", str(source), "-o", str(output), "--route", "rules", "--batch-size", "4"]
    caplog.set_level("INFO", logger="radprep")
    assert main(argv) == 0
    first = output.read_bytes()
    assert "de-identification models loaded" in caplog.text
    caplog.clear()
    monkeypatch.setattr("service.pipeline.Pipeline", lambda *a, **k: pytest.fail("models loaded for nothing"))
    assert main(argv) == 0
    err = caplog.text
    assert "0 reports written" in err and "10 were there already" in err and "models loaded" not in err
    assert output.read_bytes() == first


def test_a_shared_errors_file_is_locked_too(tmp_path: Path, monkeypatch, capsys) -> None:
    from service.batch.lock import output_lock

    monkeypatch.setenv("RADPREP_SECRET", SECRET.decode())
    monkeypatch.setenv("RADPREP_ROUTE", "rules")
    source = write_jsonl(tmp_path / "in.jsonl", make_records(4))
    shared = tmp_path / "shared.errors.jsonl"
    with output_lock(shared):  # another run, on another output, writing the same errors file
        assert main(["batch", str(source), "-o", str(tmp_path / "b.jsonl"), "--errors", str(shared)]) == 2
    assert "shared.errors.jsonl is being written by another radprep run" in capsys.readouterr().err
    assert not (tmp_path / "b.jsonl").exists()
