"""Settings from the environment: errors name the variable, never its value; weak secrets are refused."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from service.errors import ConfigError
from service.settings import Settings, load_settings, resolve_secret

VALUE = "sk-TOPSECRET-4242-value"  # what must never be echoed


@pytest.mark.parametrize(("variable", "problem"), [
    ("RADPREP_API__KEYS", "RADPREP_API__KEYS: unknown setting (a typo?)"),
    ("RADPREP_OPENAI__APIKEY", "RADPREP_OPENAI__APIKEY: unknown setting (a typo?)"),
    ("RADPREP_BATCH_SIZE", "RADPREP_BATCH_SIZE: Input should be a valid integer"),
    ("RADPREP_API__PORT", "RADPREP_API__PORT: Input should be a valid integer"),
    ("RADPREP_ROUTE", "RADPREP_ROUTE: Input should be 'auto', 'llm' or 'rules'"),
    ("RADPREP_API", "not valid JSON"),
])
def test_a_bad_variable_is_named_without_its_value(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                   problem: str) -> None:
    monkeypatch.setenv(variable, VALUE)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert problem in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None  # no chained pydantic error
    assert "TOPSECRET" not in str(info.value)


def test_unknown_top_level_variables_are_named_in_a_warning_without_value(monkeypatch: pytest.MonkeyPatch,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("RADPREP_SECRETT", VALUE)
    monkeypatch.setenv("RADPREP_API_KEY", VALUE)  # read by the --server client, not by Settings: no warning
    monkeypatch.setenv("RADPREP_" + VALUE, "1")  # a value pasted as a name is not shown either
    with caplog.at_level(logging.WARNING, logger="radprep"):
        load_settings()
    assert "RADPREP_SECRETT" in caplog.text and "<unnamed variable>" in caplog.text
    assert "RADPREP_API_KEY " not in caplog.text and "TOPSECRET" not in caplog.text


def test_secrets_are_secret_strings_and_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPREP_SECRET", VALUE)
    monkeypatch.setenv("RADPREP_API_KEYS", VALUE)
    monkeypatch.setenv("RADPREP_OPENAI__API_KEY", VALUE)
    settings = load_settings()
    for value in (settings.secret, settings.api_keys, settings.openai.api_key):
        assert isinstance(value, SecretStr) and value.get_secret_value() == VALUE
    assert "TOPSECRET" not in repr(settings) and "TOPSECRET" not in str(settings)


def test_a_short_secret_is_refused_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPREP_SECRET", "a")
    with pytest.raises(ConfigError, match="shorter than 16 bytes") as info:
        resolve_secret(load_settings(), ephemeral=False)
    assert "'a'" not in str(info.value)
    assert resolve_secret(load_settings(allow_weak_secret=True), ephemeral=False) == b"a"
    monkeypatch.setenv("RADPREP_ALLOW_WEAK_SECRET", "1")
    assert resolve_secret(load_settings(), ephemeral=False) == b"a"
    assert resolve_secret(Settings(secret=SecretStr("x" * 16)), ephemeral=False) == b"x" * 16  # 16 is enough


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RADPREP_")}
    return subprocess.run([sys.executable, "-m", "service.cli", "--debug", *args], capture_output=True, text=True,
                          env={**clean, "RADPREP_ROUTE": "rules", **env})


def test_the_cli_exits_2_with_one_line_and_no_value(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "FINDINGS: Lungs clear."}) + "\n", encoding="utf-8")
    process = ["process", str(source), "-o", str(tmp_path / "out.jsonl")]
    typo = _cli(process, {"RADPREP_SECRET": "cli-settings-test-secret", "RADPREP_API__KEYS": VALUE})
    assert typo.returncode == 2 and "RADPREP_API__KEYS: unknown setting" in typo.stderr
    assert "TOPSECRET" not in typo.stderr and "Traceback" not in typo.stderr
    weak = _cli(process, {"RADPREP_SECRET": "short"})
    assert weak.returncode == 2 and "shorter than 16 bytes" in weak.stderr and "--allow-weak-secret" in weak.stderr
    assert not (tmp_path / "out.jsonl").exists()
    allowed = _cli([*process, "--allow-weak-secret"], {"RADPREP_SECRET": "short"})
    assert allowed.returncode == 0, allowed.stderr
    assert "--allow-weak-secret" in subprocess.run([sys.executable, "-m", "service.cli", "batch", "--help"],
                                                   capture_output=True, text=True).stdout
