"""Model profiles (`models/*.toml`): which weights, how to prompt them, how to sample.

A profile names a local folder of Hugging Face weights; nothing is fetched at run time. `~` and
`$RADPREP_MODELS_DIR` (default ~/.cache/radprep/models) are expanded in `path`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.errors import ConfigError

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


class ModelProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    path: str = Field(description="local folder with config.json, weights and tokenizer")
    chat_template: str | None = Field(default=None, description="Jinja chat template; None: the tokenizer's own")
    mode: Literal["tags", "labels", "spans", "text"] = Field(
        default="spans", description="the section task's output mode this model answers best in (a fine-tuned "
        "model: the one it was trained on); RADPREP_MODE overrides it")
    prompt_version: str = Field(default="v1", description="prompts/sections.<mode>.<version>.jinja")
    joint_weight: float | None = Field(
        default=None, gt=0, description="tags mode: decode the model's letter log-probabilities, times this weight, "
        "together with the headerless heuristic's unit scores; None: the model's letters as written")
    max_model_len: int = 4096
    max_tokens: int | None = Field(default=None, description="cap on output tokens per call; None: the task's")
    temperature: float = 0.0
    dtype: str = "bfloat16"
    kv_cache_gib: int = Field(default=1, description="VLLM_CPU_KVCACHE_SPACE on CPU machines")
    gpu_memory_utilization: float = 0.85
    enforce_eager: bool = True
    source: dict[str, str] = Field(default_factory=dict, description="how models/build_model.py makes the folder")
    use_in_auto: bool = Field(
        default=True,
        description="may `--backend auto` pick this model? false for models that section worse than the rules",
    )

    @property
    def local_path(self) -> Path:
        models_dir = os.environ.get("RADPREP_MODELS_DIR", str(Path.home() / ".cache" / "radprep" / "models"))
        return Path(os.path.expanduser(self.path.replace("$RADPREP_MODELS_DIR", models_dir)))


def load_profile(name_or_path: str) -> ModelProfile:
    """A profile by name (models/NAME.toml) or by path to a .toml file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = MODELS_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in MODELS_DIR.glob("*.toml"))
        raise ConfigError(f"model profile {name_or_path!r} not found (known: {', '.join(known) or 'none'})")
    try:
        return ModelProfile(**tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"model profile {path.name}: {exc}") from None
