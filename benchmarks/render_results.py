"""Markdown tables for RESULTS.md from the JSON files the throughput scripts wrote.

    python benchmarks/render_results.py [RESULTS_DIR]      # default benchmarks/out/results

Every table row comes from a file, with its date, load and command, so RESULTS.md quotes
measurements only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_deid, bench_llm  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parent / "out" / "results"


def stamp_line(stamp: dict[str, Any]) -> str:
    m = stamp["machine"]
    load = f"load {stamp['load_start'][0]:.2f} → {stamp['load_end'][0]:.2f}" if stamp["load_start"] else "load ?"
    flag = " **(measured under load: other jobs shared the cores)**" if stamp["under_load"] else ""
    return (f"finished {stamp['date']}, {m['cpu']} ({m['cores']} cores, {m['ram_gib']} GiB, Python {m['python']}), "
            f"{load}{flag}; `{stamp['command']}`")


def corpus_table(rows: list[dict[str, Any]]) -> str:
    heads = ["route", "LLM", "workers", "reports", "seconds", "reports/s", "per worker", "sent to LLM",
             "heuristic split", "no sections found", "LLM calls/report", "fallbacks", "whole corpus"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in rows:
        llm = f"{r['backend']} {r['model']} ({r['mode']})" if r["backend"] else "none"
        whole = (f"**extrapolated** {r['extrapolated_corpus_hours']:.1f} h" if "extrapolated_corpus_hours" in r
                 else f"measured {r['seconds'] / 60:.1f} min")
        lines.append(f"| {r['route']} | {llm} | {r['workers']} | {r['reports']:,} | {r['seconds']:,.1f}"
                     f" | {r['reports_per_s']:,.2f} | {r['reports_per_s_per_worker']:,.2f} | {r['llm_share']:.1%}"
                     f" | {r['heuristic_share']:.1%} | {_share(r.get('no_sections_share'))}"
                     f" | {r['llm_calls_per_report']:.2f} | {r['fallbacks']} | {whole} |")
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:] or [str(DEFAULT_DIR)])[0])
    corpus = [json.loads(p.read_text()) for p in sorted(folder.glob("corpus_*.json"))]
    if corpus:
        print("### Whole pipeline on the synthetic corpus\n")
        print(corpus_table(corpus) + "\n")
        for r in corpus:
            print(f"- {r['route']}, {r['backend'] or 'no LLM'}: {stamp_line(r['stamp'])}")
        print()
    deid = folder / "deid.json"
    if deid.is_file():
        d = json.loads(deid.read_text())
        print(f"### De-identification per core (CPUs {d['cpus']})\n")
        print(bench_deid.markdown(d["points"]) + "\n")
        print(f"- {stamp_line(d['stamp'])}\n")
    for path in sorted(folder.glob("llm_*.json")):
        d = json.loads(path.read_text())
        print(f"### LLM throughput, {d['model']} (KV cache {d['kv_cache_gib']} GiB, engine start "
              f"{d['engine_start_s']} s, {d['mean_report_chars']:.0f} characters per report)\n")
        print(bench_llm.markdown(d["points"]) + "\n")
        print(f"- {stamp_line(d['stamp'])}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
