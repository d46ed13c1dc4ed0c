"""A real `radprep serve` process on loopback, started as the Dockerfile starts it (its ENTRYPOINT, CMD and
ENV), answering what `radprep process` writes for the same records, checked by the image's HEALTHCHECK
command, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
RADPREP = Path(sys.executable).with_name("radprep")
SAMPLES = ROOT / "examples" / "sample_reports.jsonl"
KEY = "server-test-key"
# The cpu image installs no vLLM and builds no model: its server runs the rules and the heuristic split. These
# processes see the same, whatever this machine has built in ~/.cache/radprep/models.
NO_MODELS = tempfile.mkdtemp(prefix="radprep-no-models-")


def dockerfile_stage(name: str) -> dict[str, object]:
    """ENV, HEALTHCHECK, ENTRYPOINT and CMD of one stage of the Dockerfile."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stage = text.split(f" AS {name}\n", 1)[1].split("\nFROM ", 1)[0]
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", stage, re.MULTILINE):
        env.update(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    return {
        "env": {k: v.strip('"') for k, v in env.items()},
        "healthcheck": json.loads(re.search(r"^HEALTHCHECK .*? CMD (\[.+\])$", stage, re.MULTILINE).group(1)),
        "entrypoint": json.loads(re.search(r"^ENTRYPOINT (\[.+\])$", stage, re.MULTILINE).group(1)),
        "cmd": json.loads(re.search(r"^CMD (\[.+\])$", stage, re.MULTILINE).group(1)),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADPREP_")}
    env.update({"TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "", "RADPREP_SECRET": "server-test-secret",
                "RADPREP_MODELS_DIR": NO_MODELS, **extra})
    return env


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise AssertionError("server not ready in time")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    stage = dockerfile_stage("cpu")
    port = free_port()
    env = base_env(**{**stage["env"], "RADPREP_API__PORT": str(port), "RADPREP_API_KEYS": KEY})  # type: ignore[dict-item]
    command = [str(RADPREP), *stage["entrypoint"][1:], *stage["cmd"]]  # type: ignore[misc]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(60)


def test_served_reports_equal_the_cli_output(server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    url, _ = server
    out = tmp_path / "cli.jsonl"
    subprocess.run([str(RADPREP), "process", str(SAMPLES), "-o", str(out)], env=base_env(), cwd=ROOT, check=True,
                   capture_output=True)
    expected = [json.loads(line) for line in out.read_text().splitlines()]
    records = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        one_by_one = [client.post("/v1/reports", json=record).json() for record in records]
        batch = client.post("/v1/reports/batch", json={"records": records}).json()["results"]
        refused = client.post("/v1/reports", json=records[0], headers={"Authorization": "Bearer wrong"})
    assert one_by_one == expected
    assert [item["report"] for item in batch] == expected
    assert refused.status_code == 401


def test_the_image_healthcheck_passes(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = server
    port = url.rsplit(":", 1)[1]
    command = [sys.executable, *dockerfile_stage("cpu")["healthcheck"][1:]]  # type: ignore[misc]
    command = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in command]
    assert subprocess.run(command, timeout=30).returncode == 0


def test_sigterm_stops_the_server_cleanly(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    _, process = server
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert process.stdout is not None
    log = process.stdout.read().decode()
    assert "Application shutdown complete" in log and "Traceback" not in log
    assert "ready in" in log and "POST /v1/reports 200" in log
    assert "Bearer" not in log and KEY not in log


def test_without_keys_it_binds_to_loopback_only(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(RADPREP_ROUTE="rules", RADPREP_API__PORT=str(port))
    process = subprocess.Popen([str(RADPREP), "serve", "--host", "0.0.0.0"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(60)
    assert process.stdout is not None
    log = process.stdout.read().decode()
    assert "RADPREP_API_KEYS is not set: binding to 127.0.0.1 instead of 0.0.0.0" in log
    assert f"Uvicorn running on http://127.0.0.1:{port}" in log


def test_serve_refuses_to_start_without_a_secret() -> None:
    env = base_env()
    del env["RADPREP_SECRET"]
    result = subprocess.run([str(RADPREP), "serve"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "RADPREP_SECRET is not set" in result.stderr


def test_serve_with_a_named_backend_that_cannot_answer_exits_2_before_serving(capsys, monkeypatch) -> None:
    from service.api.command import _ENV
    from service.cli import main

    for variable in (*_ENV.values(), "RADPREP_SECRET"):  # `serve` sets them for its server processes
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("served although the LLM cannot answer"))
    assert main(["serve", "--route", "llm", "--backend", "openai", "--ephemeral-key"]) == 2
    assert "needs a key: set RADPREP_OPENAI__API_KEY" in capsys.readouterr().err
