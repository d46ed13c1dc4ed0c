"""Reports/s of the rules route (`SectionRouter("rules").split_batch`, batches of 32) on IU X-ray reports
rendered in the layouts of `eval_sections`, best of `--rounds` rounds (the machine is shared: the best
round is the one least disturbed). Each round starts with the header caches empty: a line is found
again only when another report of the corpus repeats it.

    python benchmarks/bench_sections.py [--data DIR] [--layouts a,b] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.eval_sections import DEFAULT_BATCH, DEFAULT_DATA, LAYOUTS, render
from service.sections.headerless import clear_caches
from service.sections.router import SectionRouter


def rate(texts: list[str], rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        clear_caches()  # each round meets the reports for the first time, as a corpus run does
        router = SectionRouter("rules")
        started = time.perf_counter()
        for i in range(0, len(texts), DEFAULT_BATCH):
            router.split_batch(texts[i : i + DEFAULT_BATCH])
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding iu_xray/reports.jsonl")
    parser.add_argument("--layouts", default="classic,title_technique_signature,flat_comma,vista,headerless")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    path = args.data / "iu_xray" / "reports.jsonl"
    if not path.is_file():
        print(f"skipped: {path} not found (IU X-ray data is not present)")
        return 0
    with path.open(encoding="utf-8") as handle:
        reports = [json.loads(line) for line in handle if line.strip()]
    print("| layout | reports | reports/s (best round) |\n|---|---|---|")
    for layout in args.layouts.split(","):
        if layout not in LAYOUTS:
            parser.error(f"unknown layout {layout}")
        texts, _ = render(reports, layout)
        print(f"| {layout} | {len(texts)} | {rate(texts, args.rounds):,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
