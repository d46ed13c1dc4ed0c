"""Token-F1 of report sectioning on IU X-ray reports rendered in several layouts, and what it cost.

The IU release keeps only the four section texts, not the original report, so each
report is rendered here in layouts of our own (own-line or inline headers, aliases,
shuffled order, extra sections and signatures, CRLF and hard wraps, capitals, dashes,
one run-on line, and no headers at all) and split back through `SectionRouter`: the
rules sectioner alone (`--route rules`, the default), or an LLM backend for every report
(`--route llm`) or for the reports the rules are unsure of (`--route auto`). Absent gold
sections are left out of the rendering.

Metric: token-F1 per section (lower-cased word tokens; both empty = 1.0, one empty =
0.0), macro-averaged over reports, per layout and per section; the overall figure is
the mean over the headered layouts. Also: the share of reports routed as confident
(confidence >= 0.9), the share with any section found, and reports/s of `split_batch`.
With a backend, per layout and in total: reports sent to the LLM, LLM calls per report,
retries, fallbacks to the rules, backend errors, reasons answers were rejected, prompt
tokens per call (and the share served from the prefix cache), output tokens per call.
Reports go to the router in batches of `--batch` (the engine batches each one). The
backend answers one warm-up request first, timed apart as `first_call_s`, so reports/s
is the steady rate, not the engine start.

    python benchmarks/eval_sections.py [--data DIR] [--limit N] [--layouts a,b] [--json PATH]
    python benchmarks/eval_sections.py --route llm --backend vllm --mode spans --limit 20
    python benchmarks/eval_sections.py --route llm --backend openai --openai-base-url http://127.0.0.1:8009/v1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.backends import Backend, Usage, create_backend
from service.compare import token_f1
from service.errors import RadprepError
from service.sections import SECTION_NAMES
from service.sections.router import CONFIDENT, Route, RouteStats, Sectioned, SectionRouter
from service.sections.task import SectionTask

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HEADERLESS = "headerless"
DEFAULT_BATCH = 32

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

def render(reports: Sequence[dict[str, str]], layout_name: str) -> tuple[list[str], list[Gold]]:
    """Each report's text in one layout, and its gold sections (upper-cased for `all_caps`)."""
    layout, upper = LAYOUTS[layout_name], layout_name == "all_caps"
    texts, golds = [], []
    for report in reports:
        gold = {n: report[n].upper() if upper else report[n] for n in SECTION_NAMES}
        rng = random.Random(f"{layout_name}:{report['id']}")
        texts.append(layout(gold, report.get("exam_title", ""), rng))
        golds.append(gold)
    return texts, golds


def evaluate(
    reports: Sequence[dict[str, str]], *, route: Route = "rules", backend: Backend | None = None,
    task: SectionTask | None = None, layouts: Sequence[str] | None = None, batch: int = DEFAULT_BATCH,
    worst: int = 0,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, Any]]]:
    """F1 rows per layout (plus `overall_headered`), and cost rows per layout (plus `total`)."""
    task = task or SectionTask()
    results: dict[str, dict[str, float]] = {}
    costs: dict[str, dict[str, Any]] = {}
    total_stats, total_usage, total_sources, total_seconds = RouteStats(), Usage(), Counter[str](), 0.0
    for layout_name in layouts or LAYOUTS:
        texts, golds = render(reports, layout_name)
        router = SectionRouter(route, backend, task)
        usage_before = dataclasses.replace(backend.usage) if backend else Usage()
        started = time.perf_counter()
        stats, outputs = RouteStats(), []
        for i in range(0, len(texts), batch):
            batch_outputs, batch_stats = router.split_batch(texts[i : i + batch])
            outputs.extend(batch_outputs)
            stats.add(batch_stats)
        elapsed = time.perf_counter() - started
        print(f"  {layout_name}: {len(texts)} reports in {elapsed:.1f} s", file=sys.stderr, flush=True)
        usage = _usage_since(usage_before, backend.usage if backend else Usage())
        results[layout_name] = _scores(reports, golds, outputs, elapsed, layout_name, worst)
        sources = Counter(o.source for o in outputs)
        costs[layout_name] = _costs(stats, usage, elapsed, sources)
        total_stats.add(stats)
        total_sources.update(sources)
        total_usage.add(usage)
        total_seconds += elapsed
    costs["total"] = _costs(total_stats, total_usage, total_seconds, total_sources)
    headered = [row for name, row in results.items() if name != HEADERLESS]
    if headered:
        results["overall_headered"] = {key: sum(row[key] for row in headered) / len(headered) for key in headered[0]}
    return results, costs


def _scores(reports: Sequence[dict[str, str]], golds: list[Gold], outputs: list[Sectioned], elapsed: float,
            layout_name: str, worst: int) -> dict[str, float]:
    scores = {n: 0.0 for n in SECTION_NAMES}
    per_report = []
    for report, gold, out in zip(reports, golds, outputs, strict=True):
        f1s = {n: token_f1(gold[n], out.result.sections[n]) for n in SECTION_NAMES}
        for name, value in f1s.items():
            scores[name] += value
        per_report.append((sum(f1s.values()) / len(f1s), report["id"], out.source, out.result.reasons))
    row = {n: scores[n] / len(reports) for n in SECTION_NAMES}
    row["mean"] = sum(row.values()) / len(SECTION_NAMES)
    row["confident"] = sum(o.result.confidence >= CONFIDENT for o in outputs) / len(reports)
    row["coverage"] = sum(any(o.result.sections.values()) for o in outputs) / len(reports)
    row["reports_per_s"] = len(reports) / elapsed if elapsed else float("inf")
    for score, report_id, source, reasons in sorted(per_report)[:worst]:
        if score < 1.0:
            print(f"  worst {layout_name} {report_id} f1={score:.3f} {source} {reasons}")
    return row


def _usage_since(before: Usage, now: Usage) -> Usage:
    return Usage(*(getattr(now, f.name) - getattr(before, f.name) for f in dataclasses.fields(Usage)))


def _costs(stats: RouteStats, usage: Usage, seconds: float, sources: Counter[str]) -> dict[str, Any]:
    n, calls = stats.reports, usage.calls
    return {
        "reports": n,
        "rules_share": sources["rules"] / n if n else 0.0,
        "llm_share": sources["llm"] / n if n else 0.0,
        "fallback_share": sources["fallback"] / n if n else 0.0,
        "llm_reports": stats.llm_reports,
        "llm_calls": stats.llm_calls,
        "llm_calls_per_report": stats.llm_calls / n if n else 0.0,
        "retries": stats.retries,
        "fallbacks": stats.fallbacks,
        "backend_errors": stats.backend_errors,
        "invalid": dict(stats.invalid.most_common()),
        "prompt_tokens_per_call": usage.prompt_tokens / calls if calls else 0.0,
        "cached_prompt_share": usage.cached_prompt_tokens / usage.prompt_tokens if usage.prompt_tokens else 0.0,
        "output_tokens_per_call": usage.output_tokens / calls if calls else 0.0,
        "reports_per_s": n / seconds if seconds else float("inf"),
        "seconds": seconds,
    }


def markdown(results: dict[str, dict[str, float]]) -> str:
    keys = [*SECTION_NAMES, "mean", "confident", "coverage"]
    lines = ["| layout | " + " | ".join(keys) + " | reports/s |", "|---" * (len(keys) + 2) + "|"]
    for name, row in results.items():
        cells = " | ".join(f"{row[k]:.4f}" for k in keys)
        lines.append(f"| {name} | {cells} | {row['reports_per_s']:,.1f} |")
    return "\n".join(lines)


def cost_markdown(costs: dict[str, dict[str, Any]]) -> str:
    heads = ["layout", "llm reports", "llm share", "calls/report", "retries", "fallbacks", "backend errors",
             "prompt tok/call", "cached", "output tok/call", "reports/s", "rejected answers"]
    lines = ["| " + " | ".join(heads) + " |", "|---" * len(heads) + "|"]
    for name, c in costs.items():
        invalid = ", ".join(f"{k} {v}" for k, v in c["invalid"].items()) or "-"
        lines.append(
            f"| {name} | {c['llm_reports']} | {c['llm_share']:.0%} | {c['llm_calls_per_report']:.2f} | {c['retries']}"
            f" | {c['fallbacks']} | {c['backend_errors']} | {c['prompt_tokens_per_call']:.0f}"
            f" | {c['cached_prompt_share']:.0%} | {c['output_tokens_per_call']:.1f} | {c['reports_per_s']:,.2f}"
            f" | {invalid} |"
        )
    return "\n".join(lines)


def _backend(args: argparse.Namespace) -> Backend:
    """The named backend; `--model` is a profile for vllm and a model name for openai."""
    from service.settings import Settings

    settings = Settings()
    updates = {"base_url": args.openai_base_url, "model": args.model if args.backend == "openai" else None}
    openai = settings.openai.model_copy(update={k: v for k, v in updates.items() if v})
    profile = args.model if args.backend == "vllm" and args.model else "smollm2-135m"
    return create_backend(args.backend, settings.model_copy(update={"model": profile, "openai": openai}))


def _warm_up(backend: Backend, task: SectionTask, text: str) -> float:
    """Seconds for one request (the engine starts here); its usage is not counted in the layouts."""
    started = time.perf_counter()
    backend.complete([task.request(text)])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding iu_xray/reports.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="first N reports only (rendered in every layout)")
    parser.add_argument("--layouts", default=None, help=f"comma-separated subset of: {', '.join(LAYOUTS)}")
    parser.add_argument("--route", choices=("rules", "auto", "llm"), default="rules",
                        help="rules: never the LLM; auto: the LLM when the rules are unsure; llm: always")
    parser.add_argument("--backend", default=None, help="LLM backend for --route auto/llm: vllm, openai, rules, fake")
    parser.add_argument("--mode", choices=("spans", "text"), default="spans", help="LLM output mode")
    parser.add_argument("--prompt-version", default="v1", help="prompts/sections.<mode>.<version>.jinja")
    parser.add_argument("--model", default=None,
                        help="vllm: model profile (default smollm2-135m); openai: model name (default from settings)")
    parser.add_argument("--openai-base-url", default=None, help="OpenAI-compatible endpoint, ending before /chat")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="reports per split_batch call")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--worst", type=int, default=0, help="print ids of the N worst reports per layout")
    args = parser.parse_args(argv)
    layouts = args.layouts.split(",") if args.layouts else list(LAYOUTS)
    if unknown := [name for name in layouts if name not in LAYOUTS]:
        parser.error(f"unknown layout(s) {', '.join(unknown)} (known: {', '.join(LAYOUTS)})")
    if (args.route == "rules") != (args.backend is None):
        parser.error("--backend is needed with --route auto or llm, and only there")
    if args.batch < 1:
        parser.error("--batch must be at least 1")
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
    task = SectionTask(mode=args.mode, prompt_version=args.prompt_version)
    backend, first_call_s = None, 0.0
    try:
        if args.backend:
            backend = _backend(args)
            first_call_s = _warm_up(backend, task, render(reports[:1], layouts[0])[0][0])
            print(f"  first call (engine start): {first_call_s:.1f} s", file=sys.stderr, flush=True)
        results, costs = evaluate(reports, route=args.route, backend=backend, task=task, layouts=layouts,
                                  batch=args.batch, worst=args.worst)
    except RadprepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    config = {"reports": len(reports), "layouts": layouts, "route": args.route, "backend": args.backend,
              "mode": args.mode, "prompt_version": args.prompt_version, "model": args.model, "batch": args.batch,
              "first_call_s": round(first_call_s, 3)}
    print(f"{len(reports)} IU X-ray reports per layout; route {args.route}"
          + (f", backend {args.backend}, mode {args.mode}" if backend else "") + "; token-F1 (macro over reports)\n")
    print(markdown(results))
    if backend:
        print(f"\nLLM cost (first call, engine start included: {first_call_s:.1f} s, not counted below)\n")
        print(cost_markdown(costs))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"config": config, "layouts": results, "costs": costs}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # vLLM starts worker processes by spawning: keep the entry point guarded
    raise SystemExit(main())
