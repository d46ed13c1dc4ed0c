"""Probe: does Ray Data's LLM processor (vLLM) run here, with radprep's real prompts and guided JSON?

    python benchmarks/ray_llm_probe.py [--reports 6] [--model smollm2-135m] [--gpu]

Builds the section requests of `SectionTask` for a few synthetic headerless reports (the reports the
router sends to the LLM), runs them through `ray.data.llm.build_processor` with the profile's model,
the tightened JSON schema and the profile's sampling, and validates every answer with
`SectionTask.parse`. Prints rows/s and how many answers were valid sections. On a CPU-only machine the
vLLM stage gets a CPU placement-group bundle and the tokenize/detokenize stages are off (they would
hold the only CPUs); `--gpu` leaves Ray's defaults (one GPU per engine). This is the check to run
before `radprep batch --engine ray` uses the processor; see the docstring of service/batch/ray_engine.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import generate  # noqa: E402

from service.backends.profiles import load_profile  # noqa: E402
from service.backends.vllm import tightened  # noqa: E402
from service.errors import SectionValidationError  # noqa: E402
from service.sections.task import SectionTask  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=6)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--gpu", action="store_true", help="leave the vLLM stage on one GPU per engine")
    args = parser.parse_args(argv)

    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import ray
    import ray.data
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig

    profile = load_profile(args.model)
    task = SectionTask("spans")
    texts = [r.record["text"] for r in generate(50 * args.reports, seed=3) if r.layout == "headerless"][: args.reports]
    rows = []
    for i, text in enumerate(texts):
        request = task.request(text)
        params = {"temperature": profile.temperature, "seed": 0, "max_tokens": request.max_tokens,
                  "structured_outputs": {"json": tightened(request.constraints),
                                         "disable_any_whitespace": True}}
        rows.append({"i": i, "messages": json.dumps(request.messages), "params": json.dumps(params)})

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING",
             runtime_env={"env_vars": {"VLLM_CPU_KVCACHE_SPACE": str(profile.kv_cache_gib),
                                       "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}})
    ray.data.DataContext.get_current().enable_progress_bars = False
    options: dict[str, Any] = {
        "model_source": str(profile.local_path), "concurrency": 1, "batch_size": max(1, args.reports),
        # its engine metrics go through Ray Serve's metric classes, and radprep[ray] has no Ray Serve
        "log_engine_metrics": False,
        "engine_kwargs": {"dtype": profile.dtype, "max_model_len": profile.max_model_len,
                          "enforce_eager": profile.enforce_eager, "enable_prefix_caching": True, "seed": 0},
    }
    if not args.gpu:
        options |= {"placement_group_config": {"bundles": [{"CPU": 1}]}, "tokenize_stage": False,
                    "detokenize_stage": False, "chat_template_stage": {"enabled": True, "num_cpus": 0.25}}
    processor = build_processor(
        vLLMEngineProcessorConfig(**options),
        preprocess=lambda row: {"i": row["i"], "messages": json.loads(row["messages"]),
                                "sampling_params": json.loads(row["params"])},
        postprocess=lambda row: {"i": row["i"], "answer": row["generated_text"]},
        preprocess_map_kwargs={"num_cpus": 0.25}, postprocess_map_kwargs={"num_cpus": 0.25},
    )
    started = time.perf_counter()
    answers = processor(ray.data.from_items(rows)).take_all()
    elapsed = time.perf_counter() - started
    valid = 0
    for answer in answers:
        try:
            task.parse(texts[answer["i"]], answer["answer"])
            valid += 1
        except SectionValidationError as exc:
            print(f"report {answer['i']}: rejected ({exc.reason})")
    print(json.dumps({"rows": len(answers), "valid_sections": valid, "seconds": round(elapsed, 1),
                      "rows_per_s": round(len(answers) / elapsed, 3) if elapsed else None,
                      "ray": ray.__version__, "model": profile.name}))
    ray.shutdown()
    return 0 if len(answers) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
