"""De-identification throughput per core versus batch size, beside the whole pipeline (rules route).

    python benchmarks/bench_deid.py [--batch-sizes 1,4,16,64,256] [--reports-per-point 1000] [--cores 1]

The process is pinned to `--cores` CPUs (default one: the figure is per core). Reports come from the
synthetic corpus generator (`make_corpus.py`, seeded, all layouts, PHI in the text). Two series:
`deidentify_batch` alone (detect → spans → replace), and `Pipeline.process` with `--route rules`
(de-identification, metadata, rules sections or the headerless heuristic). Each point runs reports
of its own, so no cache holds an earlier point's reports. Models load before the clock.

The cores may be shared with other jobs, so the points run in `--rounds` rounds (each round every
point once, in order, on fresh reports): a point's `reports_per_s` is its best round (closest to an
idle core), `reports_per_s_median` the median; the load average is in the stamp.

Writes `--json` (default benchmarks/out/results/deid.json) and a PNG (default
benchmarks/plots/deid_throughput.png).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import machine, make_corpus  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_BATCHES = (1, 4, 16, 64, 256)
SERIES = ("deid", "pipeline")


def parse_batch_sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise ValueError("batch sizes must be positive integers, e.g. 1,4,16")
    return sizes


def measure(kind: str, step: Any, records: Sequence[Any], batch: int) -> dict[str, Any]:
    """Run `step` on `records`, `batch` at a time; reports/s and characters/s."""
    started = time.perf_counter()
    entities = 0
    for i in range(0, len(records), batch):
        entities += step(records[i : i + batch])
    seconds = time.perf_counter() - started
    chars = sum(len(r.text) for r in records)
    return {"series": kind, "batch": batch, "reports": len(records), "seconds": round(seconds, 3),
            "reports_per_s": round(len(records) / seconds, 1), "chars_per_s": round(chars / seconds),
            "entities_per_report": round(entities / len(records), 2)}


def run(batch_sizes: Sequence[int], per_point: int, series: Sequence[str], seed: int = 0,
        log: Any = None, rounds: int = 1) -> list[dict[str, Any]]:
    from service.deid.keys import patient_key
    from service.pipeline import Pipeline
    from service.records import InputRecord
    from service.settings import Settings

    total = per_point * len(batch_sizes) * len(series) * rounds
    records = [InputRecord(**r.record) for r in make_corpus.generate(total + 64, seed)]  # type: ignore[arg-type]
    pipeline = Pipeline(Settings(route="rules"), b"bench-deid-secret")
    pipeline.process(records[-64:])  # load spaCy's pipes, fill the regex caches

    def deid(batch: Sequence[InputRecord]) -> int:
        keys = [str(patient_key(r.patient_id, r.metadata.get("PatientID"), r.id)) for r in batch]
        results = pipeline.deidentifier.deidentify_batch([r.text for r in batch], keys)
        return sum(len(r.entities) for r in results)

    def whole(batch: Sequence[InputRecord]) -> int:
        return sum(len(out["entities"]) for out in pipeline.process(batch).outcomes)  # type: ignore[index]

    steps = {"deid": deid, "pipeline": whole}
    tries: dict[tuple[str, int], list[dict[str, Any]]] = {}
    used = 0
    for round_ in range(rounds):
        for kind in series:
            for batch in batch_sizes:
                point = measure(kind, steps[kind], records[used : used + per_point], batch)
                used += per_point
                tries.setdefault((kind, batch), []).append(point)
                if log:
                    print(f"  round {round_ + 1} {kind:8s} batch {batch:4d}: {point['reports_per_s']:.1f} reports/s",
                          file=log, flush=True)
    return [best_of(points) for points in tries.values()]


def best_of(points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The fastest round of one point, with the median and every round's reports/s."""
    rates = sorted(p["reports_per_s"] for p in points)
    best = max(points, key=lambda p: p["reports_per_s"])
    median = rates[len(rates) // 2] if len(rates) % 2 else (rates[len(rates) // 2 - 1] + rates[len(rates) // 2]) / 2
    return {**best, "rounds": len(points), "reports_per_s_median": round(median, 1),
            "reports_per_s_rounds": [p["reports_per_s"] for p in points]}


def plot(points: Sequence[dict[str, Any]], out: Path, title: str) -> Path:
    labels = {"deid": "de-identification", "pipeline": "whole pipeline, rules route"}
    series: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for p in points:
        series.setdefault(labels.get(p["series"], p["series"]), []).append((p["batch"], p))
    return machine.plot_throughput(series, [("reports_per_s", "reports/s per core")], title, out)


def markdown(points: Sequence[dict[str, Any]]) -> str:
    lines = ["| series | batch | reports × rounds | reports/s (best) | median | chars/s (best) | entities/report |",
             "|---|---|---|---|---|---|---|"]
    for p in points:
        lines.append(f"| {p['series']} | {p['batch']} | {p['reports']} × {p.get('rounds', 1)}"
                     f" | {p['reports_per_s']:,.1f} | {p.get('reports_per_s_median', p['reports_per_s']):,.1f}"
                     f" | {p['chars_per_s']:,} | {p['entities_per_report']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default=",".join(map(str, DEFAULT_BATCHES)))
    parser.add_argument("--reports-per-point", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every point; best and median kept")
    parser.add_argument("--series", default=",".join(SERIES), help="deid, pipeline or both")
    parser.add_argument("--cores", type=int, default=1, help="CPUs to pin to (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=HERE / "out" / "results" / "deid.json")
    parser.add_argument("--plot", type=Path, default=HERE / "plots" / "deid_throughput.png")
    args = parser.parse_args(argv)
    try:
        batch_sizes = parse_batch_sizes(args.batch_sizes)
    except ValueError as exc:
        parser.error(str(exc))
    series = [s for s in args.series.split(",") if s]
    if unknown := [s for s in series if s not in SERIES]:
        parser.error(f"unknown series {unknown} (known: {', '.join(SERIES)})")
    cpus = machine.pin(args.cores)
    started_load = machine.load()
    points = run(batch_sizes, args.reports_per_point, series, args.seed, log=sys.stderr, rounds=args.rounds)
    stamp = machine.stamp(len(cpus) or os.cpu_count() or 1, started_load)
    result = {"cpus": cpus, "reports_per_point": args.reports_per_point, "rounds": args.rounds, "points": points,
              "stamp": stamp}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    title = (f"{len(cpus)} core(s) of {stamp['machine']['cpu']}, {stamp['date'][:10]}, load "
             f"{stamp['load_start'][0] if stamp['load_start'] else '?'}; synthetic corpus reports")
    plot(points, args.plot, title)
    print(markdown(points))
    print(f"\nwrote {args.json} and {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
