"""Token-F1 of the rules sectioner on IU X-ray reports rendered in several layouts.

The IU release keeps only the four section texts, not the original report, so each
report is rendered here in layouts of our own (own-line or inline headers, aliases,
shuffled order, extra sections and signatures, CRLF and hard wraps, capitals, dashes,
one run-on line, and no headers at all) and split back. Absent gold sections are left
out of the rendering.

Metric: token-F1 per section (lower-cased word tokens; both empty = 1.0, one empty =
0.0), macro-averaged over reports, per layout and per section; the overall figure is
the mean over the headered layouts. Also: the share of reports routed as confident
(confidence >= 0.9), the share with any section found, and reports/s of ``split``.

    python benchmarks/eval_sections.py [--data DIR] [--limit N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.sections import SECTION_NAMES, RulesSectioner

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CONFIDENT = 0.9
HEADERLESS = "headerless"

Gold = dict[str, str]
Layout = Callable[[Gold, str, random.Random], str]

CLASSIC = {
    "indication": "INDICATION",
    "comparison": "COMPARISON",
    "findings": "FINDINGS",
    "impression": "IMPRESSION",
}
ALIASES = {
    "indication": (
        "CLINICAL HISTORY",
        "HISTORY",
        "REASON FOR EXAM",
        "CLINICAL INDICATION",
        "REASON FOR STUDY",
        "CLINICAL INFORMATION",
        "CLINICAL DATA",
    ),
    "comparison": ("PRIOR STUDIES", "COMPARISONS", "PRIOR", "COMPARISON STUDY", "PRIOR EXAMS"),
    "findings": ("REPORT", "DESCRIPTION", "FINDING", "FINDINGS"),
    "impression": ("CONCLUSION", "CONCLUSIONS", "OPINION", "SUMMARY", "ASSESSMENT", "DIAGNOSIS", "IMPRESSIONS"),
}
SIGNATURES = (
    "Electronically signed by: Dr. A. Example, MD\nDate: 01/02/2020 10:15",
    "Dictated by: B. Sample, MD\nTranscribed by: CD\nWorkstation: RAD-WS-04",
    (
        "I have personally reviewed the images and agree with the report above.\n"
        "Attending radiologist: Dr. C. Placeholder"
    ),
)
TECHNIQUES = ("PA and lateral views of the chest.", "Frontal and lateral radiographs.")


def _present(gold: Gold, order: tuple[str, ...] = SECTION_NAMES) -> list[str]:
    return [name for name in order if gold[name]]


def classic(gold: Gold, title: str, rng: random.Random) -> str:
    return "\n\n".join(f"{CLASSIC[n]}:\n{gold[n]}" for n in _present(gold))


def inline(gold: Gold, title: str, rng: random.Random) -> str:
    return "\n".join(f"{CLASSIC[n]}: {gold[n]}" for n in _present(gold))


def aliases(gold: Gold, title: str, rng: random.Random) -> str:
    parts = []
    for name in _present(gold):
        header = _case(rng.choice(ALIASES[name]), rng)
        parts.append(f"{header}:\n{gold[name]}" if rng.random() < 0.5 else f"{header}: {gold[name]}")
    return "\n".join(parts)


def shuffled(gold: Gold, title: str, rng: random.Random) -> str:
    names = _present(gold)
    rng.shuffle(names)
    return "\n".join(f"{CLASSIC[n].title()}: {gold[n]}" for n in names)


def extras(gold: Gold, title: str, rng: random.Random) -> str:
    """Exam title line, EXAM/TECHNIQUE sections and a signature block."""
    parts = [title.strip() or "CHEST 2 VIEWS"]
    if rng.random() < 0.5:
        parts.append("EXAM: Chest radiographs, 2 views")
    for name in _present(gold):
        if name == "findings":
            parts.append(f"TECHNIQUE: {rng.choice(TECHNIQUES)}")
        parts.append(f"{CLASSIC[name]}:\n{gold[name]}")
    parts.append(rng.choice(SIGNATURES))
    return "\n\n".join(parts)


def crlf_wrapped(gold: Gold, title: str, rng: random.Random) -> str:
    blocks = [f"{CLASSIC[n]}:\n{textwrap.fill(gold[n], 60)}" for n in _present(gold)]
    return "\n\n".join(blocks).replace("\n", "\r\n")


def all_caps(gold: Gold, title: str, rng: random.Random) -> str:
    return aliases(gold, title, rng).upper()


def dashes(gold: Gold, title: str, rng: random.Random) -> str:
    return "\n".join(f"{CLASSIC[n].title()} - {gold[n]}" for n in _present(gold))


def run_on(gold: Gold, title: str, rng: random.Random) -> str:
    return " ".join(f"{CLASSIC[n]}: {gold[n]}" for n in _present(gold))


def headerless(gold: Gold, title: str, rng: random.Random) -> str:
    return "\n\n".join(gold[n] for n in _present(gold))


def _case(header: str, rng: random.Random) -> str:
    return rng.choice((header, header.title(), header.lower()))


LAYOUTS: dict[str, Layout] = {
    "classic": classic,
    "inline": inline,
    "aliases": aliases,
    "shuffled": shuffled,
    "title_technique_signature": extras,
    "crlf_wrap60": crlf_wrapped,
    "all_caps": all_caps,
    "dash_mixed_case": dashes,
    "run_on_line": run_on,
    HEADERLESS: headerless,
}

_TOKEN_RE = re.compile(r"\w+")


def token_f1(gold: str | None, predicted: str | None) -> float:
    gold_tokens = Counter(_TOKEN_RE.findall((gold or "").lower()))
    predicted_tokens = Counter(_TOKEN_RE.findall((predicted or "").lower()))
    if not gold_tokens or not predicted_tokens:
        return float(gold_tokens == predicted_tokens)
    common = sum((gold_tokens & predicted_tokens).values())
    if not common:
        return 0.0
    precision = common / sum(predicted_tokens.values())
    recall = common / sum(gold_tokens.values())
    return 2 * precision * recall / (precision + recall)


def evaluate(reports: list[dict[str, str]], worst: int = 0) -> dict[str, dict[str, float]]:
    sectioner = RulesSectioner()
    results: dict[str, dict[str, float]] = {}
    for layout_name, layout in LAYOUTS.items():
        upper = layout_name == "all_caps"
        texts, golds = [], []
        for report in reports:
            gold = {n: report[n].upper() if upper else report[n] for n in SECTION_NAMES}
            rng = random.Random(f"{layout_name}:{report['id']}")
            texts.append(layout(gold, report.get("exam_title", ""), rng))
            golds.append(gold)
        started = time.perf_counter()
        outputs = [sectioner.split(text) for text in texts]
        elapsed = time.perf_counter() - started
        scores = {n: 0.0 for n in SECTION_NAMES}
        per_report = []
        for report, gold, out in zip(reports, golds, outputs, strict=True):
            f1s = {n: token_f1(gold[n], out.sections[n]) for n in SECTION_NAMES}
            for name, value in f1s.items():
                scores[name] += value
            per_report.append((sum(f1s.values()) / len(f1s), report["id"], out.reasons))
        row = {n: scores[n] / len(reports) for n in SECTION_NAMES}
        row["mean"] = sum(row.values()) / len(SECTION_NAMES)
        row["confident"] = sum(o.confidence >= CONFIDENT for o in outputs) / len(reports)
        row["coverage"] = sum(any(o.sections.values()) for o in outputs) / len(reports)
        row["reports_per_s"] = len(reports) / elapsed if elapsed else float("inf")
        results[layout_name] = row
        for score, report_id, reasons in sorted(per_report)[:worst]:
            if score < 1.0:
                print(f"  worst {layout_name} {report_id} f1={score:.3f} {reasons}")
    headered = [row for name, row in results.items() if name != HEADERLESS]
    results["overall_headered"] = {key: sum(row[key] for row in headered) / len(headered) for key in headered[0]}
    return results


def markdown(results: dict[str, dict[str, float]]) -> str:
    keys = [*SECTION_NAMES, "mean", "confident", "coverage"]
    lines = ["| layout | " + " | ".join(keys) + " | reports/s |", "|---" * (len(keys) + 2) + "|"]
    for name, row in results.items():
        cells = " | ".join(f"{row[k]:.4f}" for k in keys)
        lines.append(f"| {name} | {cells} | {row['reports_per_s']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding iu_xray/reports.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="first N reports only")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--worst", type=int, default=0, help="print ids of the N worst reports per layout")
    args = parser.parse_args(argv)
    path = args.data / "iu_xray" / "reports.jsonl"
    if not path.is_file():
        print(f"skipped: {path} not found (IU X-ray data is not present)")
        return 0
    with path.open(encoding="utf-8") as handle:
        reports = [json.loads(line) for line in handle if line.strip()]
    reports = reports[: args.limit]
    if not reports:
        print(f"skipped: no reports in {path}")
        return 0
    results = evaluate(reports, args.worst)
    print(f"{len(reports)} IU X-ray reports, token-F1 (macro over reports)\n")
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
