"""The README's two commands must keep working: CI runs the test command, this test runs the main one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _command(marker: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker} -->\n```bash\n(.+?)\n```", readme)
    assert found, f"README has no {marker} block"
    return found.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci and "bash -c" in ci
    extracted = subprocess.run(
        ["awk", "/<!-- test-command -->/{getline; getline; print; exit}", "README.md"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert extracted == _command("test-command")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the project's files")
def test_the_main_command_works_on_a_fresh_copy(tmp_path: Path) -> None:
    """Copy the project's files (as a clone would have them) and run the README's main command."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RADPREP_", "VIRTUAL_ENV"))}
    done = subprocess.run(["bash", "-c", _command("main-command")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(x) for x in (tmp_path / "out" / "sample.jsonl").read_text().splitlines()]
    samples = (tmp_path / "examples" / "sample_reports.jsonl").read_text().splitlines()
    assert len(lines) == len(samples) and all(line["sections"] for line in lines)
