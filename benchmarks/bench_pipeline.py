"""Throughput of de-identification + rules sections on one core, and process start-up time.

    python benchmarks/bench_pipeline.py [--reports N] [--notes N] [--batch-size B] [--cores 1]

Reports: IU X-ray reports rendered with headers when ../shared/data is present, else synthetic
reports built here (reports/s; target >= 300 on one core). Long notes: the first `--notes`
MTSamples transcriptions when present (KB of text per second; target >= 60 KB/s on one core).
Prints a Markdown table; `--json PATH` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "iu_xray" / "reports.jsonl"
NOTES = ROOT.parent / "shared" / "data" / "mtsamples" / "notes.jsonl"

_FINDINGS = [
    "The lungs are clear.", "No pleural effusion or pneumothorax.", "Heart size is normal.",
    "Mild cardiomegaly.", "Patchy opacity in the right lower lobe.", "Degenerative changes of the thoracic spine.",
    "Calcified granuloma in the left upper lobe.", "Sternotomy wires are intact.", "No acute osseous abnormality.",
]


def synthetic_reports(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    reports = []
    for i in range(n):
        findings = " ".join(rng.sample(_FINDINGS, 4))
        reports.append(
            f"EXAM: CHEST PA AND LATERAL\nINDICATION: {rng.randint(20, 88)}-year-old with cough.\n"
            f"COMPARISON: {rng.randint(1, 12)}/{rng.randint(1, 28)}/20{rng.randint(10, 23)}.\n"
            f"FINDINGS: {findings}\nIMPRESSION: {rng.choice(_FINDINGS)}"
            + (" Discussed with Dr. Okafor at 10:45." if i % 5 == 0 else "")
        )
    return reports


def iu_reports(n: int) -> list[str]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines()[:n]]
    labels = ("INDICATION", "COMPARISON", "FINDINGS", "IMPRESSION")
    return [
        "\n".join(f"{label}: {r[label.lower()]}" for label in labels if r[label.lower()]) or "IMPRESSION: Normal."
        for r in rows
    ]


def startup_seconds() -> float:
    code = (
        "import time; t=time.perf_counter(); from service.pipeline import Pipeline; from service.settings import "
        "Settings; Pipeline(Settings(), b'k').process([]); print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--notes", type=int, default=300, help="MTSamples notes for the KB/s figure (0: skip)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cores", type=int, default=1, help="CPU cores to pin this process to")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(args.cores)))

    from service.pipeline import Pipeline
    from service.records import InputRecord
    from service.settings import Settings

    source = "IU X-ray (rendered with headers)" if DATA.exists() else "synthetic"
    texts = iu_reports(args.reports) if DATA.exists() else synthetic_reports(args.reports)
    records = [InputRecord(f"r{i}", t, f"p{i % 500}") for i, t in enumerate(texts)]
    pipeline = Pipeline(Settings(batch_size=args.batch_size), b"bench-secret")
    pipeline.process(records[:64])  # warm caches
    started = time.perf_counter()
    for i in range(0, len(records), args.batch_size):
        pipeline.process(records[i : i + args.batch_size])
    elapsed = time.perf_counter() - started
    figures = {
        "reports": len(records), "source": source, "cores": args.cores, "batch_size": args.batch_size,
        "reports_per_s": round(len(records) / elapsed, 1),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
    }
    if args.notes and NOTES.exists():
        notes = [json.loads(line)["text"] for line in NOTES.read_text().splitlines()[: args.notes]]
        note_records = [InputRecord(f"n{i}", t, f"q{i}") for i, t in enumerate(notes)]
        started = time.perf_counter()
        for i in range(0, len(note_records), args.batch_size):
            pipeline.process(note_records[i : i + args.batch_size])
        elapsed = time.perf_counter() - started
        figures["notes"] = len(notes)
        figures["notes_mean_chars"] = round(sum(map(len, notes)) / len(notes))
        figures["notes_kb_per_s"] = round(sum(map(len, notes)) / elapsed / 1000, 1)
    figures |= {
        "startup_s": round(startup_seconds(), 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    print("| figure | value |\n| --- | --- |")
    for key, value in figures.items():
        print(f"| {key} | {value} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
