"""Whole-pipeline throughput (read → validate → de-identify → sections → JSON) on the synthetic corpus.

    python benchmarks/bench_corpus.py --route rules [--workers 2]
    python benchmarks/bench_corpus.py --route auto                         # no usable LLM: rules + heuristic
    python benchmarks/bench_corpus.py --route auto --backend vllm --limit 200
    python benchmarks/bench_corpus.py --route llm --backend vllm --limit 200 [--mode spans|text|tags]

The corpus is `benchmarks/out/corpus.jsonl` from `make_corpus.py` (made here, 160,000 reports, when
missing). Records go through `service.records.validate` and `Pipeline.process` in batches, as in
`radprep process`; each output is serialised to JSON and dropped. `--workers N` runs N processes, each
pinned to its own core, on interleaved batches (LLM routes: one process, the engine takes all
cores). Models load and the engine starts before the clock; the start is reported apart. With
`--limit` only the first N records run, and the time for the whole corpus is an extrapolation,
labelled as such. `--json PATH` writes every figure with the machine, date, command and load.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import machine, make_corpus  # noqa: E402

WARM_UP = 64


def _batches(corpus: Path, limit: int | None, batch: int, worker: int, workers: int) -> Iterator[list[str]]:
    """This worker's batches of raw JSONL lines: batch k goes to worker k % workers."""
    lines: list[str] = []
    number = 0
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and number >= limit:
                break
            if (number // batch) % workers == worker:
                lines.append(line)
                if len(lines) == batch:
                    yield lines
                    lines = []
            number += 1
    if lines:
        yield lines


def run_worker(worker: int, options: dict[str, Any], barrier: Any = None) -> dict[str, Any]:
    """Load the pipeline (pinned to one core when `workers` > 1), wait at the barrier, run this
    worker's share and return its counts."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    if options["workers"] > 1 and hasattr(os, "sched_setaffinity"):
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {allowed[worker % len(allowed)]})
    from service.backends import Usage, create_backend
    from service.pipeline import Pipeline
    from service.records import InputRecord, validate
    from service.sections.router import RouteStats
    from service.settings import Settings

    settings = Settings(route=options["route"], backend=options["backend"] or "auto", mode=options["mode"],
                        model=options["model"], batch_size=options["batch"])
    started = time.perf_counter()
    backend = create_backend(options["backend"], settings) if options["backend"] else None
    pipeline = Pipeline(settings, b"bench-corpus-secret", backend=backend)
    warm = [InputRecord(**r.record) for r in make_corpus.generate(WARM_UP, seed=12345)]  # type: ignore[arg-type]
    if pipeline.backend is not None:  # start the engine on one request
        pipeline.backend.complete([pipeline.router.task.request(warm[0].text)])
    pipeline.process(warm)
    load_s = time.perf_counter() - started
    stats = RouteStats()
    if pipeline.backend is not None:
        pipeline.backend.usage = Usage()
    if barrier is not None:
        barrier.wait()
    started = time.perf_counter()
    reports = invalid = out_bytes = 0
    sources: Counter[str] = Counter()
    for lines in _batches(Path(options["corpus"]), options["limit"], options["batch"], worker, options["workers"]):
        records = []
        for i, line in enumerate(lines):
            try:
                records.append(validate(json.loads(line), f"line {i}", settings.max_text_chars))
            except Exception:  # counted, never shown: the line may hold PHI
                invalid += 1
        result = pipeline.process(records)
        stats.add(result.stats)
        for out in result.outcomes:
            out_bytes += len(json.dumps(out, ensure_ascii=False))
            sources["heuristic" if any("heuristic" in w for w in out["warnings"]) else "other"] += 1
            sources["no_sections"] += not any(out["sections"].values())
        reports += len(records)
    seconds = time.perf_counter() - started
    usage = pipeline.backend.usage if pipeline.backend is not None else Usage()
    return {"worker": worker, "reports": reports, "invalid": invalid, "seconds": seconds, "load_s": load_s,
            "out_bytes": out_bytes, "stats": stats.as_dict(), "usage": dataclasses.asdict(usage),
            "heuristic": sources["heuristic"], "no_sections": sources["no_sections"],
            "llm_backend": pipeline.backend.name if pipeline.backend is not None else None}


def _pool_worker(worker: int, options: dict[str, Any], barrier: Any, results: Any) -> None:
    results.put(run_worker(worker, options, barrier))


def run(options: dict[str, Any]) -> dict[str, Any]:
    """Run the workers; wall-clock reports/s from the barrier to the last worker's end."""
    workers = options["workers"]
    if workers == 1:
        parts = [run_worker(0, options)]
        wall = parts[0]["seconds"]
    else:
        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
        procs = [ctx.Process(target=_pool_worker, args=(w, options, barrier, results)) for w in range(workers)]
        for proc in procs:
            proc.start()
        barrier.wait()
        started = time.perf_counter()
        parts = [results.get() for _ in procs]
        wall = time.perf_counter() - started
        for proc in procs:
            proc.join()
    return summarise(parts, wall, options)


def summarise(parts: list[dict[str, Any]], wall: float, options: dict[str, Any]) -> dict[str, Any]:
    reports = sum(p["reports"] for p in parts)
    stats: Counter[str] = Counter()
    usage: Counter[str] = Counter()
    for part in parts:
        stats.update({k: v for k, v in part["stats"].items() if isinstance(v, int)})
        usage.update(part["usage"])
    rate = reports / wall if wall else 0.0
    figures: dict[str, Any] = {
        "route": options["route"], "backend": parts[0]["llm_backend"],
        "mode": (options["mode"] or "the profile's") if parts[0]["llm_backend"] else None,
        "model": options["model"] if parts[0]["llm_backend"] else None,
        "workers": options["workers"], "batch": options["batch"], "reports": reports,
        "invalid": sum(p["invalid"] for p in parts), "seconds": round(wall, 2), "reports_per_s": round(rate, 2),
        "reports_per_s_per_worker": round(rate / options["workers"], 2),
        "load_s": round(max(p["load_s"] for p in parts), 1),
        "llm_share": round(stats["llm_reports"] / reports, 4) if reports else 0.0,
        "heuristic_share": round(sum(p["heuristic"] for p in parts) / reports, 4) if reports else 0.0,
        "no_sections_share": round(sum(p["no_sections"] for p in parts) / reports, 4) if reports else 0.0,
        "llm_calls_per_report": round(stats["llm_calls"] / reports, 3) if reports else 0.0,
        "retries": stats["retries"], "fallbacks": stats["fallbacks"], "backend_errors": stats["backend_errors"],
        "prompt_tokens": usage["prompt_tokens"], "cached_prompt_tokens": usage["cached_prompt_tokens"],
        "output_tokens": usage["output_tokens"],
        "output_mib": round(sum(p["out_bytes"] for p in parts) / 2**20, 1),
    }
    corpus_size = options["corpus_size"]
    if reports < corpus_size and rate:
        figures["extrapolated_corpus_hours"] = round(corpus_size / rate / 3600, 2)
        figures["extrapolation_note"] = (f"EXTRAPOLATED, not measured: {corpus_size:,} reports at the rate of "
                                         f"the first {reports:,}")
    return figures


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=make_corpus.DEFAULT_OUT)
    parser.add_argument("--route", choices=("rules", "auto", "llm"), default="rules")
    parser.add_argument("--backend", choices=("vllm", "openai", "rules", "fake"), default=None,
                        help="LLM backend for auto/llm; default: what `--backend auto` resolves to (none here)")
    parser.add_argument("--mode", choices=("spans", "text", "tags", "labels"), default=None,
                        help="LLM output mode (default: the vllm model profile's, else spans)")
    parser.add_argument("--model", default="smollm2-135m", help="vllm model profile")
    parser.add_argument("--workers", type=int, default=1, help="processes, each pinned to one core")
    parser.add_argument("--batch", type=int, default=64, help="records per Pipeline.process call")
    parser.add_argument("--limit", type=int, default=None, help="first N records only (then extrapolate)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.route == "llm" and not args.backend:
        parser.error("--route llm needs --backend")
    if args.backend and args.workers != 1:
        parser.error("LLM routes run in one process (--workers 1): the engine uses every core")
    if not args.corpus.is_file():
        print(f"making the corpus at {args.corpus} (160,000 reports)", file=sys.stderr)
        make_corpus.write(make_corpus.generate(160_000), args.corpus)
    options = {**vars(args), "corpus": str(args.corpus), "corpus_size": count_lines(args.corpus)}
    options.pop("json")
    started_load = machine.load()
    figures = run(options)
    figures["stamp"] = machine.stamp(args.workers if not args.backend else os.cpu_count() or 1, started_load)
    figures["corpus"] = {"path": str(args.corpus), "reports": options["corpus_size"]}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # workers and the vLLM engine start by spawning: keep the entry point guarded
    raise SystemExit(main())
