"""Time per report versus length for adversarial shapes, up to the size limit (RADPREP_MAX_TEXT_CHARS).

    python benchmarks/bench_adversarial.py [--sizes 12500,25000,50000,100000] [--shapes a,b] [--repeats 3]
        [--plot PATH]

Each shape is a report built here (no data needed): one long token, a long run of blanks, repeated
names after titles, many dates, many digits, deep punctuation, ... Each point is one report through the
whole pipeline (`Pipeline.process`, rules route: de-identification and sections), the fastest of
`--repeats` runs (3), each as another patient, with the time budget off so that a slow shape shows its
real time. The table gives seconds per report and, per shape, the
worst seconds per 100 KB; target: worst case <= 1 s per 100 KB. `--json PATH` writes the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _repeat(n: int, piece: Callable[[int], str]) -> str:
    out: list[str] = []
    size = 0
    i = 0
    while size < n:
        out.append(piece(i))
        size += len(out[-1])
        i += 1
    return "".join(out)[:n]


_DAY0 = dt.date(1950, 1, 1)
SHAPES: dict[str, Callable[[int], str]] = {
    "one letter run": lambda n: "a" * n,
    "capital letter run": lambda n: "A" * n,
    "base64 blob": lambda n: _repeat(n, lambda i: "QmFzZTY0IGJsb2IgZGF0YQ+/"[i % 24]),
    "hyphenated token": lambda n: "Ab1-" * (n // 4),
    "run of blanks": lambda n: "x" + " " * (n - 2) + "x",
    "Dr. Name{i} Surname": lambda n: _repeat(n, lambda i: f"Dr. Name{i} Surname "),
    "Title-case words": lambda n: "Smith " * (n // 6),
    "sentences of names": lambda n: "Smith. " * (n // 7),
    "LAST, FIRST pairs": lambda n: "Smith, " * (n // 7),
    # every date a different one: a cache of dates seen does not help
    "many dates": lambda n: _repeat(n, lambda i: f"{(_DAY0 + dt.timedelta(days=i)):%-m/%-d/%Y} "),
    "dates glued": lambda n: _repeat(n, lambda i: f"{i % 12 + 1}/{i % 28 + 1}/{1990 + i % 30}-"),
    "one digit run": lambda n: "9" * n,
    "digit groups": lambda n: "123 " * (n // 4),
    "digits and dots": lambda n: "1." * (n // 2),
    "digits and tabs": lambda n: "1\t" * (n // 2),
    "deep punctuation": lambda n: "(" * (n // 2) + ")" * (n // 2),
    "dots": lambda n: "." * n,
    "labels": lambda n: "A: " * (n // 3),
    "headers": lambda n: "FINDINGS: x\n" * (n // 12),
    "street numbers": lambda n: "12 " + "Main " * (n // 5),
    "emails": lambda n: _repeat(n, lambda i: f"a{i}@b.org "),
    "colon groups": lambda n: "1:a:" * (n // 4),
    "plus numbers": lambda n: "+1 2 3 4 " * (n // 9),
}


def measure(sizes: list[int], shapes: list[str], repeats: int = 1) -> list[dict[str, object]]:
    from service.pipeline import Pipeline
    from service.records import InputRecord
    from service.settings import Settings

    settings = Settings(route="rules", max_report_seconds=1e9)  # the budget off: the real time shows
    pipeline = Pipeline(settings, b"bench-adversarial-secret")
    pipeline.process([InputRecord("warm", "FINDINGS: Dr. Smith at 5 Main Street on 3/4/2019.")])
    rows = []
    for shape in shapes:
        for n in sizes:
            text = SHAPES[shape](n)
            seconds = float("inf")
            for repeat in range(repeats):
                # each repeat another patient: other date offsets, so no cache of shifted dates helps
                started = time.perf_counter()
                [outcome] = pipeline.process([InputRecord(f"r{repeat}", text)]).outcomes
                seconds = min(seconds, time.perf_counter() - started)
            rows.append({"shape": shape, "chars": len(text), "seconds": round(seconds, 3),
                         "ok": isinstance(outcome, dict)})
            print(f"{shape:22s} {len(text):7d} chars {seconds:7.3f} s", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict[str, object]], sizes: list[int]) -> str:
    head = "| shape | " + " | ".join(f"{n / 1000:g} K" for n in sizes) + " | worst s per 100 KB |"
    lines = [head, "|" + " --- |" * (len(sizes) + 2)]
    for shape in dict.fromkeys(str(r["shape"]) for r in rows):
        mine = [r for r in rows if r["shape"] == shape]
        worst = max(float(r["seconds"]) * 100_000 / max(int(r["chars"]), 1) for r in mine)  # type: ignore[arg-type]
        cells = [f"{float(r['seconds']):.3f}" for r in mine]  # type: ignore[arg-type]
        lines.append(f"| {shape} | " + " | ".join(cells) + f" | {worst:.2f} |")
    return "\n".join(lines)


def plot(rows: list[dict[str, object]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 5))
    for shape in dict.fromkeys(str(r["shape"]) for r in rows):
        mine = [r for r in rows if r["shape"] == shape]
        ax.plot([int(r["chars"]) / 1000 for r in mine], [float(r["seconds"]) for r in mine],  # type: ignore[arg-type]
                marker="o", label=shape)
    ax.set_xlabel("report length (K characters)")
    ax.set_ylabel("seconds per report (rules route, one core)")
    ax.set_title("radprep on adversarial reports")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="12500,25000,50000,100000")
    parser.add_argument("--shapes", help="comma-separated shape names (default: all)")
    parser.add_argument("--plot", type=Path, default=ROOT / "benchmarks" / "plots" / "adversarial.png")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per point, the fastest kept (the one least disturbed on a shared machine)")
    args = parser.parse_args(argv)
    from benchmarks.machine import load, stamp

    sizes = sorted(int(s) for s in args.sizes.split(","))
    shapes = args.shapes.split(",") if args.shapes else list(SHAPES)
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shapes: {', '.join(unknown)}")
    started_load = load()
    rows = measure(sizes, shapes, args.repeats)
    info = stamp(1, started_load)
    print(table(rows, sizes))
    print(f"\n{info['date']}, {info['machine']['cpu']}, load {info['load_start']} → {info['load_end']}"
          + (" (under load: other jobs were running)" if info["under_load"] else ""))
    if plot(rows, args.plot):
        print(f"plot: {args.plot.relative_to(ROOT) if args.plot.is_relative_to(ROOT) else args.plot}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, **info}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
