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
