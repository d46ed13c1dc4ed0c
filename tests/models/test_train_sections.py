"""The training script runs end to end: two steps on a tiny set write a loadable LoRA adapter.

Skips where peft (the `train` or `dev` extra) or the base model folder (scripts/install) is missing.
Training itself is not run in CI; the numbers of the committed adapter are in its model card.
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

pytestmark = [pytest.mark.models, pytest.mark.skipif(
    importlib.util.find_spec("peft") is None or not (BASE / "config.json").is_file(),
    reason="peft or the smollm2-135m base folder is missing (pip install -e '.[train]', scripts/install)",
)]


def test_two_training_steps_on_a_tiny_set_save_an_adapter(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "models"))
    import section_data

    data = tmp_path / "data"
    data.mkdir()
    for split, rows in (("train", section_data.examples(4, seed=5)), ("dev", section_data.examples(2, 6, dev=True))):
        (data / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "adapter"
    run = subprocess.run(
        [sys.executable, str(ROOT / "models" / "train_sections.py"), "--data", str(data), "--out", str(out),
         "--steps", "2", "--batch", "2", "--log-every", "1", "--layers", "2", "--rank", "4", "--dev-n", "2"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "step 2/2" in run.stdout and "dev loss" in run.stdout
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["layers_to_transform"] == [28, 29]
    assert (out / "adapter_model.safetensors").stat().st_size > 0
    log = json.loads((out / "training_log.json").read_text())
    assert log["steps_done"] == 2 and log["dev_loss"] > 0 and len(log["history"]) == 2
