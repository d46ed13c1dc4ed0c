"""`models/build_model.py` builds radprep's section model from a clean models dir: the base folder,
then the committed LoRA adapter merged in float32, the same weights peft's own merge gives.

Skips where the base model folder is missing (scripts/install builds it; linking it into the clean
dir keeps the test offline) or the adapter is not committed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.backends import load_profile

ROOT = Path(__file__).resolve().parents[2]
BASE = load_profile("smollm2-135m").local_path
PROFILE = load_profile("radprep-sections-135m")
ADAPTER = ROOT / "models" / PROFILE.source["adapter"]

pytestmark = [pytest.mark.models, pytest.mark.skipif(
    not (BASE / "config.json").is_file() or not (ADAPTER / "adapter_model.safetensors").is_file(),
    reason="the smollm2-135m base folder (scripts/install) or the committed adapter is missing",
)]


def test_the_section_model_is_built_from_a_clean_models_dir(tmp_path: Path) -> None:
    (tmp_path / BASE.name).symlink_to(BASE)  # the GGUF conversion is the other recipe; no network here
    env = {"RADPREP_MODELS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    build = [sys.executable, str(ROOT / "models" / "build_model.py"), "radprep-sections-135m"]
    run = subprocess.run(build, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    built = tmp_path / "radprep-sections-135m"
    config = json.loads((built / "config.json").read_text())
    adapter = json.loads((ADAPTER / "adapter_config.json").read_text())
    layers = adapter["layers_to_transform"] or range(config["num_hidden_layers"])
    assert f"merged into {len(layers) * len(adapter['target_modules'])} weight matrices" in run.stdout
    assert (built / "tokenizer.json").is_file() and config.get("dtype", config.get("torch_dtype")) == "float32"
    again = subprocess.run(build, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert again.returncode == 0 and "already built" in again.stdout
    stamp = built / "adapter.sha256"
    digest = stamp.read_text().strip()
    stamp.write_text("0" * 64 + "\n")  # as if built from another adapter: stale, so it is merged again
    stale = subprocess.run(build, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert stale.returncode == 0 and "changed since" in stale.stdout and stamp.read_text().strip() == digest

    if importlib.util.find_spec("peft") is None:
        return
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    reference = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(BASE), dtype=torch.float32),
                                          str(ADAPTER)).merge_and_unload().state_dict()
    ours = load_file(str(built / "model.safetensors"))
    layer = adapter["layers_to_transform"][-1] if adapter["layers_to_transform"] else 0
    for name in (f"model.layers.{layer}.self_attn.q_proj.weight", f"model.layers.{layer}.mlp.down_proj.weight",
                 "model.layers.0.self_attn.k_proj.weight"):
        assert torch.allclose(ours[name], reference[name], atol=1e-6), name
