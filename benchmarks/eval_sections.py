"""Token-F1 of report sectioning on IU X-ray reports rendered in several layouts, and what it cost.

The IU release keeps only the four section texts, not the original report, so each
report is rendered here in layouts of our own (own-line or inline headers, aliases,
shuffled order, extra sections and signatures, CRLF and hard wraps, capitals, dashes,
one run-on line; line breaks flattened to ", " or to spaces; inline headers right after
the last word of the section before; a VistA-style export with field lines, status and
staff blocks; one paragraph of sentences behind short labels "Reason:", "Hx:", "Comp:",
"Imp:", with or without a label on the findings; and no headers at all) and split back
through `SectionRouter`: the
rules sectioner alone (`--route rules`, the default), or an LLM backend for every report
(`--route llm`) or for the reports the rules are unsure of (`--route auto`). Absent gold
sections are left out of the rendering.

Metric: token-F1 per section (lower-cased word tokens; both empty = 1.0, one empty =
0.0), macro-averaged over reports, per layout and per section; the overall figure is
the mean over the headered layouts (not `PARTLY_HEADERED`). Also: the share of reports
routed as confident (confidence >= 0.9), the share with any section found, reports/s of
`split_batch`, and a calibration table: per confidence band, the share of reports, their
mean token-F1 and the share of them with token-F1 >= 0.95. `--mtsamples` adds the
mtsamples notes whose explicit ALL-CAPS headers all map to the four sections (others are
skipped), as shipped (line breaks flattened to ",") and with the line breaks restored.
With a backend, per layout and in total: reports sent to the LLM, LLM calls per report,
retries, fallbacks to the rules, backend errors, reasons answers were rejected, prompt
tokens per call (and the share served from the prefix cache), output tokens per call.
Reports go to the router in batches of `--batch` (the engine batches each one). The
backend answers one warm-up request first, timed apart as `first_call_s`, so reports/s
is the steady rate, not the engine start.

    python benchmarks/eval_sections.py [--data DIR] [--limit N] [--layouts a,b] [--mtsamples] [--json PATH]
    python benchmarks/eval_sections.py --route llm --backend vllm --mode spans --limit 20
    python benchmarks/eval_sections.py --route llm --backend openai --openai-base-url http://127.0.0.1:8009/v1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
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


def headerless_lines(gold: Gold, title: str, rng: random.Random) -> str:
    """No headers and no blank lines: each section on its own line."""
    return "\n".join(gold[n] for n in _present(gold))


def headerless_flat(gold: Gold, title: str, rng: random.Random) -> str:
    """No headers, one line: a flattened export (IU indications often lack a full stop)."""
    return " ".join(gold[n] for n in _present(gold))


def _case(header: str, rng: random.Random) -> str:
    return rng.choice((header, header.title(), header.lower()))


def _multiline(gold: Gold, title: str, rng: random.Random, any_case: bool = False) -> str:
    """A report on several lines (title, headers on their own line or inline), to be flattened.
    Headers are capitalised (Title or UPPER case), or in any case with `any_case`."""
    parts = [title.strip()] if title.strip() and rng.random() < 0.5 else []
    for name in _present(gold):
        header = rng.choice((CLASSIC[name], *ALIASES[name][:3]))
        header = _case(header, rng) if any_case else rng.choice((header, header.title()))
        parts.append(f"{header}:\n{gold[name]}" if rng.random() < 0.5 else f"{header}: {gold[name]}")
    return "\n\n".join(parts)


def flat_comma(gold: Gold, title: str, rng: random.Random) -> str:
    """Every line break (runs of them too) became ", " or "," as in exports that flatten lines;
    headers in any case."""
    separator = rng.choice((", ", ","))
    return separator.join(line for line in _multiline(gold, title, rng, any_case=True).splitlines() if line.strip())


def flat_space(gold: Gold, title: str, rng: random.Random) -> str:
    """Every line break became a space."""
    return " ".join(line for line in _multiline(gold, title, rng).splitlines() if line.strip())


def flat_space_any_case(gold: Gold, title: str, rng: random.Random) -> str:
    """`flat_space` with a third of the headers in lower case: "... PM indication: ..." after a word is
    prose by the grammar alone; the rules take it for a header where the report's other headers vouch for
    the layout (``rules`` weak headers)."""
    return " ".join(line for line in _multiline(gold, title, rng, any_case=True).splitlines() if line.strip())


AFTER_WORD = {
    "indication": ("Indication", "INDICATION", "Clinical History", "CLINICAL HISTORY", "Reason for exam"),
    "comparison": ("Comparison", "COMPARISON", "Comparisons"),
    "findings": ("Findings", "FINDINGS"),
    "impression": ("Impression", "IMPRESSION", "Conclusion", "CONCLUSION"),
}


def after_words(gold: Gold, title: str, rng: random.Random) -> str:
    """Inline headers that follow the last word of the section before, without a full stop."""
    parts = []
    for name in _present(gold):
        body = gold[name].rstrip(". ") if rng.random() < 0.8 else gold[name]
        parts.append(f"{rng.choice(AFTER_WORD[name])}: {body}")
    return " ".join(parts)


def vista(gold: Gold, title: str, rng: random.Random) -> str:
    """A VistA-style export: field lines before and inside the report, status and staff blocks."""
    wrap = lambda s: textwrap.fill(s, 70, initial_indent="  ", subsequent_indent="  ")  # noqa: E731
    lines = [
        "                       RADIOLOGY REPORT",
        f"Exm Date: {rng.choice(('JAN 02, 2020@10:15', 'MAR 14, 2019@08:02'))}",
        "Req Phys: EXAMPLE,PROVIDER                Pat Loc: ER",
        "Img Loc: X-RAY                            Service: Unknown",
        "",
        f" (Case {rng.randint(10, 999)}  COMPLETE) {title.strip() or 'CHEST 2 VIEWS'}   (RAD  Detailed)  CPT:71020",
        "",
        "    Proc Modifiers : NONE",
    ]
    if gold["indication"]:
        lines += ["    Clinical History:", wrap(gold["indication"])]
    lines += ["", "    Report Status: Verified                   Date Reported: JAN 02, 2020",
              "                                              Date Verified: JAN 03, 2020",
              "    Verifier E-Sig:/ES/A. EXAMPLE, MD", ""]
    if gold["comparison"]:
        lines += ["    Comparison:", wrap(gold["comparison"]), ""]
    if gold["findings"]:
        lines += ["    Report:", wrap(gold["findings"]), ""]
    if gold["impression"]:
        lines += ["    Impression:", wrap(gold["impression"]), ""]
    code = rng.choice(("NORMAL", "MINOR ABNORMALITY", "ABNORMALITY, ATTN. NEEDED"))
    lines += [f"    Primary Diagnostic Code: {code}",
              "", "Primary Interpreting Staff:", "  A. EXAMPLE, MD, Staff Physician", "  /ES/ A. EXAMPLE, MD",
              "  Released Date Time: JAN 03, 2020@09:00", "****** END ******"]
    return "\n".join(lines)


SHORT = {
    "indication": ("Reason", "Hx", "Indication", "HX"),
    "comparison": ("Comp", "Prior", "Comparison"),
    "findings": ("Findings", "FINDINGS"),
    "impression": ("Imp", "IMPRESSION", "Impression"),
}


def sentence_labels(gold: Gold, title: str, rng: random.Random) -> str:
    """One paragraph, sentence after sentence, every section behind a short label ("Reason: fever.")."""
    parts = [f"{title.strip() or 'CHEST PA/LAT'}."] if rng.random() < 0.7 else []
    parts += [f"{rng.choice(SHORT[name])}: {gold[name]}" for name in _present(gold)]
    return " ".join(parts)


def sentence_partial(gold: Gold, title: str, rng: random.Random) -> str:
    """Like `sentence_labels`, but the findings (and half of the comparisons) carry no label."""
    parts = [f"{title.strip() or 'CHEST PA/LAT'}."] if rng.random() < 0.7 else []
    unlabelled = {"findings"} | ({"comparison"} if rng.random() < 0.5 else set())
    parts += [gold[name] if name in unlabelled else f"{rng.choice(SHORT[name])}: {gold[name]}"
              for name in _present(gold)]
    return " ".join(parts)


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
    "flat_comma": flat_comma,
    "flat_space": flat_space,
    "flat_space_any_case": flat_space_any_case,
    "inline_after_words": after_words,
    "vista": vista,
    "sentence_labels": sentence_labels,
    "sentence_partial": sentence_partial,
    HEADERLESS: headerless,
    "headerless_lines": headerless_lines,
    "headerless_flat": headerless_flat,
}
PARTLY_HEADERED = frozenset({HEADERLESS, "headerless_lines", "headerless_flat", "sentence_partial",
                             "flat_space_any_case"})
"""Layouts where some sections have no header the grammar accepts: not in the headered overall."""

MTS_HEADER = re.compile(r"(?:^|(?<=,))[ \t]*([A-Z][A-Z0-9 /&()#'-]{0,60}?)[ \t]*:")
"""An explicit ALL-CAPS header of an mtsamples note: at the start or after a (flattened) line break."""
MTS_MAP = {
    "indication": re.compile(r"(?:[A-Z]+ ){0,3}HISTORY(?: OF [A-Z ]+)?|(?:CLINICAL )?INDICATIONS?(?: FOR [A-Z ]+)?"
                             r"|REASONS? FOR [A-Z ]+"),
    "comparison": re.compile(r"COMPARISONS?"),
    "findings": re.compile(r"(?:[A-Z]+ )?FINDINGS?"),
    "impression": re.compile(r"(?:[A-Z]+ )?(?:IMPRESSIONS?|CONCLUSIONS?)"),
}
"""The four sections of the issue: history/reason/indication, comparison, findings, impression/conclusion."""
MTS_LAYOUTS = ("mtsamples_flat", "mtsamples_lines")


def mtsamples_cases(path: Path) -> dict[str, tuple[list[str], list[Gold], list[str]]]:
    """mtsamples notes whose every explicit header maps to one of the four sections, as shipped
    (line breaks flattened to ",") and with the line breaks put back; gold = the text between a
    header and the next one (the parts of a repeated section joined)."""
    flat, lines, golds, ids = [], [], [], []
    with path.open(encoding="utf-8") as handle:
        notes = [json.loads(line) for line in handle if line.strip()]
    for note in notes:
        text = note["text"]
        headers = list(MTS_HEADER.finditer(text))
        kinds = [next((k for k, rx in MTS_MAP.items() if rx.fullmatch(h.group(1).strip())), None) for h in headers]
        if not headers or None in kinds:
            continue
        gold: dict[str, list[str]] = {name: [] for name in SECTION_NAMES}
        for i, (header, kind) in enumerate(zip(headers, kinds, strict=True)):
            end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
            gold[str(kind)].append(text[header.end() : end].strip(" ,"))
        flat.append(text)
        lines.append(_restore_lines(text))
        golds.append({name: " ".join(parts) for name, parts in gold.items()})
        ids.append(note["id"])
    return {"mtsamples_flat": (flat, golds, ids), "mtsamples_lines": (lines, golds, ids)}


def _restore_lines(text: str) -> str:
    """Undo the scrape's flattening: a comma after a header's colon, or glued to the next word, was a line break."""
    text = re.sub(r":[ \t]*,[ \t]*", ":\n", text)
    return re.sub(r",(?=[A-Za-z])", "\n", text)


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
    worst: int = 0, extra: dict[str, tuple[list[str], list[Gold], list[str]]] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, Any]]]:
    """F1 rows per layout (plus `overall_headered`), and cost rows per layout (plus `total`).

    `extra` adds sets rendered elsewhere (name -> texts, gold sections, ids), e.g. `mtsamples_cases`."""
    task = task or SectionTask()
    results: dict[str, dict[str, float]] = {}
    costs: dict[str, dict[str, Any]] = {}
    total_stats, total_usage, total_sources, total_seconds = RouteStats(), Usage(), Counter[str](), 0.0
    cases = {name: (*render(reports, name), [r["id"] for r in reports])
             for name in (LAYOUTS if layouts is None else layouts)}
    for layout_name, (texts, golds, ids) in {**cases, **(extra or {})}.items():
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
        results[layout_name] = _scores(ids, golds, outputs, elapsed, layout_name, worst)
        sources = Counter(o.source for o in outputs)
        costs[layout_name] = _costs(stats, usage, elapsed, sources)
        total_stats.add(stats)
        total_sources.update(sources)
        total_usage.add(usage)
        total_seconds += elapsed
    costs["total"] = _costs(total_stats, total_usage, total_seconds, total_sources)
    headered = [row for name, row in results.items() if name not in PARTLY_HEADERED and name in LAYOUTS]
    if headered:
        results["overall_headered"] = {key: sum(row[key] for row in headered) / len(headered) for key in headered[0]}
    return results, costs


BANDS = ((0.9, 1.01, ">= 0.9"), (0.7, 0.9, "0.7-0.9"), (0.4, 0.7, "0.4-0.7"), (0.0, 0.4, "< 0.4"))
"""Confidence bands of the calibration table (>= 0.9 is what `--route auto` keeps)."""
GOOD_F1 = 0.95


def _scores(ids: Sequence[str], golds: list[Gold], outputs: list[Sectioned], elapsed: float,
            layout_name: str, worst: int) -> dict[str, float]:
    scores = {n: 0.0 for n in SECTION_NAMES}
    per_report = []
    for report_id, gold, out in zip(ids, golds, outputs, strict=True):
        f1s = {n: token_f1(gold[n], out.result.sections[n]) for n in SECTION_NAMES}
        for name, value in f1s.items():
            scores[name] += value
        per_report.append((sum(f1s.values()) / len(f1s), report_id, out.source, out.result.reasons,
                           out.result.confidence))
    n = len(ids)
    row = {name: scores[name] / n for name in SECTION_NAMES}
    row["mean"] = sum(row.values()) / len(SECTION_NAMES)
    row["confident"] = sum(o.result.confidence >= CONFIDENT for o in outputs) / n
    row["coverage"] = sum(any(o.result.sections.values()) for o in outputs) / n
    row["reports_per_s"] = n / elapsed if elapsed else float("inf")
    for low, high, label in BANDS:
        band = [f1 for f1, *_, confidence in per_report if low <= confidence < high]
        row[f"share {label}"] = len(band) / n
        row[f"f1 {label}"] = sum(band) / len(band) if band else float("nan")
        row[f"good {label}"] = sum(f1 >= GOOD_F1 for f1 in band) / len(band) if band else float("nan")
    for score, report_id, source, reasons, confidence in sorted(per_report)[:worst]:
        if score < 1.0:
            print(f"  worst {layout_name} {report_id} f1={score:.3f} conf={confidence:.2f} {source} {reasons}")
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


def calibration_markdown(results: dict[str, dict[str, float]]) -> str:
    """Per layout and confidence band: share of reports, mean token-F1, share with token-F1 >= 0.95."""
    heads = [f"{label}: share / F1 / F1>={GOOD_F1}" for *_, label in BANDS]
    lines = ["| layout | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
    for name, row in results.items():
        if name == "overall_headered":
            continue
        cells = [f"{row[f'share {label}']:.3f} / {_nan(row[f'f1 {label}'])} / {_nan(row[f'good {label}'])}"
                 for *_, label in BANDS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _nan(value: float) -> str:
    return "–" if value != value else f"{value:.4f}"


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
    profile = args.model if args.backend == "vllm" and args.model else settings.model
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
    parser.add_argument("--mode", choices=("tags", "labels", "spans", "text"), default=None,
                        help="LLM output mode (default: the vllm model profile's, else spans)")
    parser.add_argument("--prompt-version", default=None,
                        help="prompts/sections.<mode>.<version>.jinja (default: the profile's, else v1)")
    parser.add_argument("--joint-weight", type=float, default=None,
                        help="tags mode: weight of the model's letter log-probabilities decoded with the heuristic"
                             " (default: the profile's; 0: the model's letters as written)")
    parser.add_argument("--model", default=None,
                        help="vllm: model profile (default: RADPREP_MODEL, else radprep-sections-135m);"
                             " openai: model name (default from settings)")
    parser.add_argument("--openai-base-url", default=None, help="OpenAI-compatible endpoint, ending before /chat")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="reports per split_batch call")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--worst", type=int, default=0, help="print ids of the N worst reports per layout")
    parser.add_argument("--mtsamples", action="store_true",
                        help="also score mtsamples/notes.jsonl: notes whose headers all map to the four sections,"
                             " flattened as shipped and with line breaks restored")
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
    task = SectionTask(mode=args.mode or "spans", prompt_version=args.prompt_version or "v1")
    backend, first_call_s = None, 0.0
    try:
        if args.backend:
            from service.pipeline import section_task
            from service.settings import Settings

            backend = _backend(args)
            task = section_task(Settings(mode=args.mode, prompt_version=args.prompt_version), backend)
            if args.joint_weight is not None:
                task = dataclasses.replace(task, joint_weight=args.joint_weight or None)
            first_call_s = _warm_up(backend, task, render(reports[:1], layouts[0])[0][0])
            print(f"  first call (engine start): {first_call_s:.1f} s", file=sys.stderr, flush=True)
        extra = None
        if args.mtsamples and (notes := args.data / "mtsamples" / "notes.jsonl").is_file():
            extra = mtsamples_cases(notes)
        results, costs = evaluate(reports, route=args.route, backend=backend, task=task, layouts=layouts,
                                  batch=args.batch, worst=args.worst, extra=extra)
    except RadprepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    config = {"reports": len(reports), "layouts": layouts, "route": args.route, "backend": args.backend,
              "mode": task.mode, "prompt_version": task.prompt_version, "joint_weight": task.joint_weight,
              "model": args.model, "batch": args.batch,
              "first_call_s": round(first_call_s, 3)}
    used = f", backend {args.backend}, mode {task.mode}, joint weight {task.joint_weight}" if backend else ""
    print(f"{len(reports)} IU X-ray reports per layout; route {args.route}{used}; token-F1 (macro over reports)\n")
    print(markdown(results))
    print(f"\nCalibration: per confidence band, the share of reports, their mean token-F1 and the share of them"
          f" with token-F1 >= {GOOD_F1}\n")
    print(calibration_markdown(results))
    if backend:
        print(f"\nLLM cost (first call, engine start included: {first_call_s:.1f} s, not counted below)\n")
        print(cost_markdown(costs))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        rows = {name: {key: None if value != value else value for key, value in row.items()}  # NaN: empty band
                for name, row in results.items()}
        payload = {"config": config, "layouts": rows, "costs": costs}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # vLLM starts worker processes by spawning: keep the entry point guarded
    raise SystemExit(main())
