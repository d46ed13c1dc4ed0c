"""The README's two commands must keep working: CI runs the test command, this test runs the main one."""

from __future__ import annotations

import argparse
import itertools
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


def _usage_blocks() -> dict[str, str]:
    """Each README usage block (a fenced block without a language whose first line is `radprep ...`), by command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks: dict[str, str] = {}
    for body in re.findall(r"^```\n(radprep .+?)\n```", readme, flags=re.M | re.S):
        command = next(word for word in body.split()[1:] if not word.startswith(("[", "-")))
        assert command not in blocks, f"two README usage blocks for {command}"
        blocks[command] = body
    return blocks


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    from service.cli import build_parser

    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_every_command_has_a_readme_usage_block_that_matches_its_help() -> None:
    """Every option of `radprep CMD --help` is in the README's usage block of CMD and nothing else is;
    the positional arguments are named as `--help` names them, in its order."""
    from service.cli import build_parser

    blocks, parsers = _usage_blocks(), _subparsers()
    assert set(blocks) == set(parsers)
    top = {s for a in build_parser()._actions for s in a.option_strings}
    for command, parser in parsers.items():
        block = blocks[command]
        shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", block))
        options = [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]
        missing = [a.option_strings[-1] for a in options if not set(a.option_strings) & shown]
        known = {s for a in options for s in a.option_strings} | top
        assert not missing, f"README usage of {command} lacks {missing}"
        assert shown <= known, f"README usage of {command} has options --help does not: {sorted(shown - known)}"
        words = block.split()
        after = words[words.index(command) + 1:]
        positionals = [w for w in itertools.takewhile(lambda w: not w.startswith(("-", "[")), after)]
        expected = [a.metavar or a.dest for a in parser._actions if not a.option_strings]
        assert positionals == expected, f"README usage of {command}: positionals {positionals}, --help {expected}"
