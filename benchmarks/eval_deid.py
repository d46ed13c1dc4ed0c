"""De-identification quality and speed on real text, generated chest X-ray reports and our own layouts.

Corpora (under ``--data``; a corpus whose folder is absent is skipped, and with none the
script prints why and exits 0):

- ``physionet_deid/notes.jsonl``: real nursing notes with gold PHI spans (recall >= 0.95, non-PHI
  tokens changed <= 1 %);
- ``washu_hl7/reports.jsonl``: radiology reports from HL7 messages, name / accession / MRN / date
  spans from the messages' fields (recall by type >= 0.995), see ``deid_corpora.py``;
- ``mtsamples/notes.jsonl``: real transcriptions with identifiers removed: over-redaction
  (alphabetic words changed other than dates, ages, places and institutions <= 0.1 %, numbers
  with units kept 100 %, the most-changed words listed), see ``deid_corpora.py``;
- ``iu_xray/reports.jsonl``: IU X-ray section texts, rendered into full reports with injected
  PHI and exact gold spans by ``benchmarks/phi_inject.py`` (deterministic for ``--seed``);
- ``layouts`` (always): our own VistA-style, HL7 sign-off, flattened and dictation fixtures
  (``deid_layouts.py``): every name token, date and ID changed.

Detection (``Detector.detect_batch``), per corpus:

- recall per gold type and overall: a gold span is caught when every alphanumeric character
  of it is covered by some detected span of any type (type confusion leaks nothing); typed
  recall (only detections of a matching type count) is secondary;
- token recall: ``\\w+`` tokens inside gold spans whose alphanumerics are all covered;
- non-PHI tokens changed: ``\\w+`` tokens outside gold (and neutral) spans that overlap a
  detection, over all such tokens; traps (ages < 90, eponyms, name-like words) also apart;
- false positives: detections that overlap no gold (and no neutral) span.

Replacement (``Deidentifier.deidentify_batch``, CXR set, one patient id per generated patient):
dates keep their format (``phi_inject.same_date_format``) and stay valid dates; each patient
has one date shift, non-zero and within 365 days; one patient name / MRN maps to one
surrogate; no original PHI value is left in the output (outside the text that surrogates wrote,
unless a surrogate equals its original). Speed: start-up of ``Detector()`` and
reports/s of both batch calls, single process.

    python benchmarks/eval_deid.py [--data DIR] [--limit N] [--seed S] [--json PATH]
                                   [--show-misses K] [--corpora cxr,notes,washu,mtsamples,layouts]

``--show-misses K`` prints PHI text (missed gold spans, false-positive strings, leaks) from
these public/synthetic corpora; without it only counts and text shapes are printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import deid_corpora as rc
from benchmarks import deid_layouts as lay
from benchmarks import phi_inject as pi

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NOTES = Path("physionet_deid") / "notes.jsonl"
IU = Path("iu_xray") / "reports.jsonl"
TOP = 30

# Detected types that count as the right type for a gold type (typed recall); None: any.
TYPED: dict[str, set[str] | None] = {
    pi.PATIENT_NAME: {"PERSON"}, pi.CLINICIAN_NAME: {"PERSON"}, pi.DATE: {"DATE"},
    pi.MRN: {"ID"}, pi.ACCESSION: {"ID"}, pi.PHONE: {"PHONE"}, pi.EMAIL: {"EMAIL"},
    pi.URL: {"URL"}, pi.ADDRESS: {"ADDRESS", "LOCATION"}, pi.CITY: {"LOCATION", "ADDRESS"},
    pi.ZIP: {"ADDRESS", "LOCATION"}, pi.HOSPITAL: {"ORGANIZATION", "LOCATION"},
    pi.AGE: {"AGE"},
    "HCPName": {"PERSON"}, "RelativeProxyName": {"PERSON"}, "PTName": {"PERSON"},
    "PTNameInitial": {"PERSON"}, "Date": {"DATE"}, "DateYear": {"DATE"},
    "Location": {"LOCATION", "ADDRESS", "ORGANIZATION"}, "Phone": {"PHONE", "ID"},
    "Age": {"AGE"}, "Other": None,
    lay.NAME: {"PERSON"}, lay.ID: {"ID", "PHONE"}, lay.INSTITUTION: {"ORGANIZATION", "LOCATION"},
}
# (metric, corpus) -> (target, higher is better)
TARGETS = {
    ("recall", "cxr"): (0.995, True), ("recall", "notes"): (0.95, True),
    ("nonphi_changed", "cxr"): (0.005, False), ("nonphi_changed", "notes"): (0.01, False),
    ("recall", "washu"): (0.995, True), ("recall", "layouts"): (1.0, True),
    ("nonphi_changed", "layouts"): (0.005, False),
}
RECALL_BY_TYPE_TARGET = {"washu": 0.995, "layouts": 1.0}
MTS_WORDS_TARGET = 0.001  # alphabetic words changed other than dates, ages, cities, institutions
MTS_NUMBERS_TARGET = 1.0  # numbers with units kept
DATE_FORMAT_TARGET = 0.99
NAME_TYPES = (pi.PATIENT_NAME, pi.CLINICIAN_NAME)


# ---------------------------------------------------------------------------------------------
# Loading


def load_notes(path: Path, limit: int | None) -> list[pi.Report]:
    return rc.load_gold(path, limit, "phi", "patient")


def load_cxr(path: Path, limit: int | None, seed: int) -> list[pi.Report]:
    with path.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    return pi.generate_reports(records[:limit], seed=seed)


# ---------------------------------------------------------------------------------------------
# Detection


def _type_name(entity_type: Any) -> str:
    return str(getattr(entity_type, "value", entity_type))


def _coverage(length: int, spans: Sequence[Any], types: set[str] | None = None) -> bytearray:
    cov = bytearray(length)
    for s in spans:
        if types is None or _type_name(s.entity_type) in types:
            cov[max(s.start, 0):min(s.end, length)] = b"\1" * (min(s.end, length) - max(s.start, 0))
    return cov


def _all_covered(text: str, cov: bytearray, start: int, end: int) -> bool:
    return all(cov[i] or not text[i].isalnum() for i in range(start, end))


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def _overlaps(a_start: int, a_end: int, spans: Sequence[Any]) -> bool:
    return any(s.start < a_end and a_start < s.end for s in spans)


def shape(text: str) -> str:
    """``"Wagner, James"`` -> ``"Xxxxx, Xxxxx"``: case and digit classes, runs cut at 4."""
    out = re.sub(r"[A-Z]", "X", re.sub(r"[a-z]", "x", re.sub(r"\d", "d", text)))
    return re.sub(r"(.)\1{4,}", r"\1\1\1\1", out)


@dataclass
class DetectionScore:
    gold: Counter = field(default_factory=Counter)
    caught: Counter = field(default_factory=Counter)
    typed: Counter = field(default_factory=Counter)
    tokens: Counter = field(default_factory=Counter)
    tokens_caught: Counter = field(default_factory=Counter)
    nonphi_tokens: int = 0
    nonphi_changed: int = 0
    traps: Counter = field(default_factory=Counter)
    traps_changed: Counter = field(default_factory=Counter)
    false_positives: int = 0
    detections: int = 0
    fp_texts: Counter = field(default_factory=Counter)
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)  # type, text, id, ctx

    def summary(self) -> dict[str, Any]:
        total, caught = sum(self.gold.values()), sum(self.caught.values())
        per_type = {
            t: {"gold": n, "recall": _ratio(self.caught[t], n),
                "typed_recall": _ratio(self.typed[t], n),
                "token_recall": _ratio(self.tokens_caught[t], self.tokens[t])}
            for t, n in sorted(self.gold.items(), key=lambda kv: -kv[1])}
        return {
            "gold_spans": total, "recall": _ratio(caught, total),
            "typed_recall": _ratio(sum(self.typed.values()), total),
            "token_recall": _ratio(sum(self.tokens_caught.values()), sum(self.tokens.values())),
            "per_type": per_type,
            "nonphi_tokens": self.nonphi_tokens,
            "nonphi_changed": _ratio(self.nonphi_changed, self.nonphi_tokens),
            "traps": {k: {"n": n, "changed": self.traps_changed[k]}
                      for k, n in sorted(self.traps.items())},
            "detections": self.detections, "false_positives": self.false_positives,
        }


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def score_detection(reports: Sequence[pi.Report], detected: Sequence[Sequence[Any]]
                    ) -> DetectionScore:
    sc = DetectionScore()
    for rep, spans in zip(reports, detected, strict=True):
        text = rep.text
        cov = _coverage(len(text), spans)
        for g in rep.phi:
            sc.gold[g.type] += 1
            if _all_covered(text, cov, g.start, g.end):
                sc.caught[g.type] += 1
            else:
                ctx = text[max(0, g.start - 40):g.end + 40].replace("\n", " | ")
                sc.misses.append((g.type, g.text, rep.id, ctx))
            types = TYPED.get(g.type)
            if _all_covered(text, _coverage(len(text), spans, types), g.start, g.end):
                sc.typed[g.type] += 1
        for m in re.finditer(r"\w+", text):
            a, b = m.span()
            gold = [g for g in rep.phi if g.start < b and a < g.end]
            if gold:
                sc.tokens[gold[0].type] += 1
                lo, hi = max(a, min(g.start for g in gold)), min(b, max(g.end for g in gold))
                sc.tokens_caught[gold[0].type] += _all_covered(text, cov, lo, hi)
            elif not _overlaps(a, b, rep.neutral):
                sc.nonphi_tokens += 1
                sc.nonphi_changed += any(cov[a:b])
        for k in rep.keep:
            sc.traps[k.type] += 1
            sc.traps_changed[k.type] += any(cov[k.start:k.end])
        for s in spans:
            sc.detections += 1
            if not _overlaps(s.start, s.end, rep.phi) and not _overlaps(s.start, s.end, rep.neutral):
                sc.false_positives += 1
                sc.fp_texts[(_type_name(s.entity_type), text[s.start:s.end])] += 1
    return sc


# ---------------------------------------------------------------------------------------------
# Replacement (CXR set)


def _out_pos(reps: Sequence[Any], pos: int, is_end: bool) -> int:
    """Where original offset ``pos`` lands in the output; a cut replacement counts whole."""
    delta = 0
    for r in reps:
        if r.span.end <= pos:
            delta = r.out_end - r.span.end
        elif r.span.start < pos:
            return r.out_end if is_end else r.out_start
        else:
            break
    return pos + delta


def _out_text(result: Any, start: int, end: int) -> str:
    reps = sorted(result.replacements, key=lambda r: r.span.start)
    return result.text[_out_pos(reps, start, False):_out_pos(reps, end, True)]


def _count_outside(text: str, value: str, spans: Sequence[pi.GoldSpan]) -> int:
    pattern = re.compile(rf"(?<![\w/.:-]){re.escape(value)}(?![\w+]|[/.:-]\w)")
    return sum(1 for m in pattern.finditer(text) if not _overlaps(m.start(), m.end(), spans))


@dataclass
class DeidScore:
    dates: int = 0
    dates_changed: int = 0
    dates_same_format: int = 0
    dates_valid: int = 0
    format_misses: Counter = field(default_factory=Counter)  # (fmt, original, surrogate)
    shifts: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    surrogates: dict[tuple[str, str, str], set[str]] = field(
        default_factory=lambda: defaultdict(set))
    leaks: Counter = field(default_factory=Counter)
    leaked: Counter = field(default_factory=Counter)  # (type, value)
    token_leaks: int = 0
    api_errors: int = 0
    birth_capped: int = 0  # birth dates implying 90+, moved to age 90 (not in the shift check)

    def summary(self) -> dict[str, Any]:
        one = [p for p, s in self.shifts.items() if len(s) == 1]
        good = [p for p in one if 0 < abs(next(iter(self.shifts[p]))) <= 365]
        all_shifts = sorted(x for s in self.shifts.values() for x in s)
        inconsistent = {f"{t} {v!r} ({p})": sorted(s) for (p, t, v), s in self.surrogates.items()
                        if len(s) > 1}
        return {
            "dates": self.dates, "dates_changed": _ratio(self.dates_changed, self.dates),
            "dates_same_format": _ratio(self.dates_same_format, self.dates),
            "dates_valid": _ratio(self.dates_valid, self.dates),
            "patients_with_dates": len(self.shifts), "patients_one_shift": len(one),
            "patients_one_good_shift": len(good),
            "shift_min": all_shifts[0] if all_shifts else None,
            "shift_max": all_shifts[-1] if all_shifts else None,
            "name_mrn_keys": len(self.surrogates), "name_mrn_inconsistent": len(inconsistent),
            "leaks": sum(self.leaks.values()), "leaks_per_type": dict(self.leaks),
            "name_token_leaks": self.token_leaks, "api_offset_errors": self.api_errors,
            "birth_dates_capped": self.birth_capped,
            "_inconsistent": inconsistent,
        }


def score_deid(reports: Sequence[pi.Report], results: Sequence[Any]) -> DeidScore:
    sc = DeidScore()
    for rep, res in zip(reports, results, strict=True):
        for r in res.replacements:
            sc.api_errors += res.text[r.out_start:r.out_end] != r.surrogate
        for g in rep.phi:
            out = _out_text(res, g.start, g.end)
            if g.type == pi.DATE:
                _score_date(sc, rep, g, out)
            elif g.type in (pi.PATIENT_NAME, pi.MRN):
                sc.surrogates[(rep.patient_id, g.type, g.text)].add(out.strip())
        # text a surrogate wrote is no original value left, unless the surrogate is its original: a
        # patient's date shifted onto the text of another of its dates is no leak
        written = [_Span(r.out_start, r.out_end) for r in res.replacements
                   if r.surrogate != rep.text[r.span.start : r.span.end]]
        for value, gtype in {(g.text, g.type) for g in rep.phi}:
            extra = _count_outside(res.text, value, written) - _count_outside(rep.text, value, rep.phi)
            if extra > 0:
                sc.leaks[gtype] += extra
                sc.leaked[(gtype, value)] += extra
        for token in {t for g in rep.phi if g.type in NAME_TYPES
                      for t in re.findall(r"[^\W\d_]{4,}", g.text)}:
            extra = _count_outside(res.text, token, []) - _count_outside(rep.text, token, rep.phi)
            sc.token_leaks += max(extra, 0)
    return sc


def _old_birth_date(rep: pi.Report, g: pi.GoldSpan) -> bool:
    """A birth date 90 or more years before the report's latest other date: the de-identifier moves
    it so that the age is 90, so it keeps no per-patient shift."""
    from service.deid.replace import BIRTH_CUE  # the cue the de-identifier acts on (imported late: import_s)

    if g.date is None or not BIRTH_CUE.search(rep.text[max(0, g.start - 24) : g.start]):
        return False
    others = [o.date for o in rep.phi if o.type == pi.DATE and o.date is not None and o is not g]
    return bool(others) and (max(others) - g.date).days >= 89 * 365 + 300


_TIME_AFTER = re.compile(r"(?:@[ \t]?|T|[ \t]+)\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]?[ap]\.?m\.?)?", re.IGNORECASE)


def _score_date(sc: DeidScore, rep: pi.Report, g: pi.GoldSpan, out: str) -> None:
    # A time glued to the date is replaced with it (and kept as written): score the date part.
    time = _TIME_AFTER.match(rep.text, g.end)
    if time and out.endswith(time.group()) and len(out) > len(time.group()):
        out = out[: -len(time.group())]
    sc.dates += 1
    sc.dates_changed += out != g.text
    new = pi.parse_date(out, g.fmt)  # None: not a valid date in the original's format
    if new is not None and not 1900 <= new.year <= 2100:
        new = None
    sc.dates_valid += new is not None
    same = out != g.text and new is not None and pi.same_date_format(g.text, out)
    sc.dates_same_format += same
    if not same:
        sc.format_misses[(g.fmt, g.text, out)] += 1
    if new is not None and g.date is not None and g.fmt in pi.FULL_DATE_FORMATS and _old_birth_date(rep, g):
        sc.birth_capped += 1  # moved to age 90 on purpose (Safe Harbor): no shift to count
        return
    if new is not None and g.date is not None and g.fmt in pi.FULL_DATE_FORMATS:
        if "{yy}" in pi.DATE_FORMATS[g.fmt]:  # a 2-digit year names no century: take the nearest one
            candidates = []
            for years in (-100, 0, 100):
                try:
                    candidates.append(new.replace(year=new.year + years))
                except ValueError:  # 29 February in a year without one
                    continue
            new = min(candidates, key=lambda c: abs((c - g.date).days))
        sc.shifts[rep.patient_id].add((new - g.date).days)


# ---------------------------------------------------------------------------------------------
# Report


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{100 * x:.2f}%" if pct else f"{x:.4f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _check(value: float | None, target: float, higher: bool) -> str:
    return "n/a" if value is None else _verdict(value >= target if higher else value <= target)


def print_detection(name: str, n_docs: int, sc: DetectionScore, summary: dict[str, Any]) -> None:
    print(f"\n## Detection: {name} ({n_docs} texts, {summary['gold_spans']} gold spans)\n")
    print("| gold type | n | recall | typed recall | token recall |")
    print("|---|---:|---:|---:|---:|")
    for t, row in summary["per_type"].items():
        print(f"| {t} | {row['gold']} | {_fmt(row['recall'])} | {_fmt(row['typed_recall'])} "
              f"| {_fmt(row['token_recall'])} |")
    print(f"| **all** | {summary['gold_spans']} | {_fmt(summary['recall'])} "
          f"| {_fmt(summary['typed_recall'])} | {_fmt(summary['token_recall'])} |")
    print(f"\nNon-PHI tokens changed: {sc.nonphi_changed} / {sc.nonphi_tokens} "
          f"= {_fmt(summary['nonphi_changed'], pct=True)}. Detections: {sc.detections}, "
          f"overlapping no gold span: {sc.false_positives}.")
    if sc.traps:
        traps = ", ".join(f"{k} {sc.traps_changed[k]}/{n}" for k, n in sorted(sc.traps.items()))
        print(f"Traps changed (must be kept): {traps}.")


def print_misses(name: str, sc: DetectionScore, k: int) -> None:
    top = Counter((t, shape(text)) for t, text, _, _ in sc.misses).most_common(TOP)
    examples = {(t, shape(text)): text for t, text, _, _ in sc.misses}
    print(f"\n### {name}: top missed gold spans (type, shape, count, example)\n")
    for (t, sh), n in top:
        print(f"- {t} `{sh}` x{n}: {examples[(t, sh)]!r}")
    by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for t, _, doc, ctx in sc.misses:
        by_type[t].append((doc, ctx))
    for t, rows in sorted(by_type.items()):
        print(f"\n{name} missed {t} ({len(rows)}), first {k}:")
        for doc, ctx in rows[:k]:
            print(f"  {doc}: …{ctx}…")
    print(f"\n### {name}: top false-positive detections (type, text, count)\n")
    for (t, text), n in sc.fp_texts.most_common(TOP):
        print(f"- {t} {text!r} x{n}")


def print_deid(summary: dict[str, Any], sc: DeidScore, k: int) -> None:
    print("\n## Replacement: CXR set (Deidentifier.deidentify_batch)\n")
    print("| check | value | target | result |")
    print("|---|---:|---:|---|")
    same = summary["dates_same_format"]
    print(f"| dates in original format | {_fmt(same, pct=True)} of {summary['dates']} "
          f"| >= 99% | {_check(same, DATE_FORMAT_TARGET, True)} |")
    print(f"| dates changed | {_fmt(summary['dates_changed'], pct=True)} | | |")
    print(f"| surrogate dates valid | {_fmt(summary['dates_valid'], pct=True)} | | |")
    n, one, good = (summary[k2] for k2 in
                    ("patients_with_dates", "patients_one_shift", "patients_one_good_shift"))
    print(f"| patients with one shift (0 < abs <= 365) | {good} / {n} (one shift: {one}) "
          f"| all | {_verdict(n == good)} |")
    print(f"| shift range (days) | {summary['shift_min']} .. {summary['shift_max']} | | |")
    print(f"| birth dates implying 90+ moved to age 90 (not in the shift check) "
          f"| {summary['birth_dates_capped']} | | |")
    bad = summary["name_mrn_inconsistent"]
    print(f"| same patient name / MRN -> same surrogate | {bad} inconsistent of "
          f"{summary['name_mrn_keys']} | 0 | {_verdict(bad == 0)} |")
    print(f"| original PHI values left in output | {summary['leaks']} "
          f"{summary['leaks_per_type']} | 0 | {_verdict(summary['leaks'] == 0)} |")
    print(f"| name tokens (>= 4 letters) left in output (info) | "
          f"{summary['name_token_leaks']} | | |")
    print(f"| replacement offsets not matching output | {summary['api_offset_errors']} | 0 "
          f"| {_verdict(summary['api_offset_errors'] == 0)} |")
    if k:
        print(f"\nDate format misses (format, original, output), top {TOP}:")
        for (fmt, orig, out), c in sc.format_misses.most_common(TOP):
            print(f"- {fmt}: {orig!r} -> {out!r} x{c}")
        print(f"\nLeaked values (type, value), top {TOP}:")
        for (t, v), c in sc.leaked.most_common(TOP):
            print(f"- {t} {v!r} x{c}")
        for key, outs in list(summary["_inconsistent"].items())[:k]:
            print(f"- inconsistent {key}: {outs}")


# ---------------------------------------------------------------------------------------------
# Main


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def _miss_tops(sc: DetectionScore, with_text: bool) -> dict[str, Any]:
    examples = {(t, shape(text)): text for t, text, _, _ in sc.misses}
    top = Counter((t, shape(text)) for t, text, _, _ in sc.misses).most_common(TOP)
    out: dict[str, Any] = {"missed": [
        {"type": t, "shape": sh, "count": n, **({"example": examples[(t, sh)]} if with_text
                                                  else {})} for (t, sh), n in top]}
    if with_text:
        out["false_positives"] = [{"type": t, "text": text, "count": n}
                                  for (t, text), n in sc.fp_texts.most_common(TOP)]
    return out


def _load(name: str, path: Path, args: argparse.Namespace) -> list[pi.Report]:
    if name == "cxr":
        return load_cxr(path, args.limit, args.seed)
    if name == "notes":
        return load_notes(path, args.limit)
    if name == "washu":
        return rc.load_washu(path, args.limit)
    return lay.generate(args.limit or 400, seed=args.seed)


def _eval_mtsamples(detector: Any, path: Path, args: argparse.Namespace,
                    metrics: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    notes = rc.load_mtsamples(path, args.limit)
    texts = [t for _, t in notes]
    detected, secs = _timed(detector.detect_batch, texts)
    sc = rc.score_overredaction(texts, detected)
    summary = sc.summary(TOP, with_text=True)
    metrics["corpora"]["mtsamples"] = summary
    metrics["speed"]["detect_mtsamples_reports_per_s"] = round(len(texts) / secs, 2)
    metrics["speed"]["detect_mtsamples_kb_per_s"] = round(sum(map(len, texts)) / secs / 1000, 1)
    print(f"\n## Over-redaction: mtsamples ({sc.docs} notes, {sc.words} alphabetic words)\n")
    print(f"- words changed other than dates, ages, cities, institutions: {sc.changed} = "
          f"{_fmt(summary['words_changed'], pct=True)} (by type: {summary['words_changed_by_type']})")
    print(f"- names right after a title (the site's placeholders and leftover names), not counted: "
          f"{sc.after_title}")
    print(f"- words changed by any detection: {sc.changed_any} = "
          f"{_fmt(summary['words_changed_any_type'], pct=True)}")
    print(f"- notes with a counted change: {_fmt(summary['docs_damaged'], pct=True)}")
    print(f"- numbers with units kept: {sc.numbers_kept} / {sc.numbers} = "
          f"{_fmt(summary['numbers_with_units_kept'], pct=True)}")
    print(f"\nMost-changed words (type, word, count), top {TOP}:")
    for row in summary["most_changed_words"]:
        print(f"- {row['type']} {row['word']!r} x{row['count']}")
    if summary["numbers_changed"]:
        print("\nNumbers with units changed: " + ", ".join(
            f"{r['text']!r} x{r['count']}" for r in summary["numbers_changed"]))
    return [
        ("mtsamples: words changed (not date/age/place/institution)", _fmt(summary["words_changed"]),
         f"<= {MTS_WORDS_TARGET}", _check(summary["words_changed"], MTS_WORDS_TARGET, False)),
        ("mtsamples: numbers with units kept", _fmt(summary["numbers_with_units_kept"]),
         f">= {MTS_NUMBERS_TARGET}", _check(summary["numbers_with_units_kept"], MTS_NUMBERS_TARGET, True)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    ap.add_argument("--limit", type=int, default=None, help="at most N notes and N CXR reports")
    ap.add_argument("--seed", type=int, default=0, help="seed of the CXR generator")
    ap.add_argument("--json", type=Path, default=None, help="also write the metrics here")
    ap.add_argument("--corpora", default="cxr,notes,washu,mtsamples,layouts",
                    help="comma-separated subset of cxr, notes, washu, mtsamples, layouts")
    ap.add_argument("--show-misses", type=int, default=0, metavar="K",
                    help="print K missed gold spans per type, top misses, false positives "
                         "and leaks (prints PHI text of the public/synthetic corpora)")
    args = ap.parse_args(argv)

    corpora = {name: args.data / rel for name, rel in
               (("cxr", IU), ("notes", NOTES), ("washu", rc.WASHU), ("mtsamples", rc.MTSAMPLES))
               if (args.data / rel).is_file()}
    if not corpora:
        print(f"eval_deid: skipped, no {IU}, {NOTES}, {rc.WASHU} or {rc.MTSAMPLES} under {args.data}")
        return 0
    corpora["layouts"] = Path("(generated)")  # our own VistA / sign-off / dictation fixtures
    wanted = set(args.corpora.split(","))
    corpora = {name: path for name, path in corpora.items() if name in wanted}

    t0 = time.perf_counter()
    from service.deid import Deidentifier
    from service.deid.detect import Detector

    imported = time.perf_counter() - t0
    detector, startup = _timed(Detector)
    detector.detect_batch(["Warm-up: seen by Dr. Smith on 01/02/2020."])
    metrics: dict[str, Any] = {"seed": args.seed, "limit": args.limit, "corpora": {},
                               "speed": {"import_s": round(imported, 3),
                                         "detector_startup_s": round(startup, 3)}}
    checks: list[tuple[str, str, str, str]] = []
    cxr: list[pi.Report] = []
    layouts: list[pi.Report] = []
    for name, path in corpora.items():
        if name == "mtsamples":
            checks += _eval_mtsamples(detector, path, args, metrics)
            continue
        reports = _load(name, path, args)
        detected, secs = _timed(detector.detect_batch, [r.text for r in reports])
        sc = score_detection(reports, detected)
        summary = sc.summary()
        summary.update(_miss_tops(sc, with_text=args.show_misses > 0))
        metrics["corpora"][name] = summary
        metrics["speed"][f"detect_{name}_reports_per_s"] = round(len(reports) / secs, 2)
        metrics["speed"][f"detect_{name}_kb_per_s"] = round(sum(len(r.text) for r in reports) / secs / 1000, 1)
        print_detection(name, len(reports), sc, summary)
        if args.show_misses:
            print_misses(name, sc, args.show_misses)
        for metric in ("recall", "nonphi_changed"):
            if (metric, name) not in TARGETS:
                continue
            target, higher = TARGETS[(metric, name)]
            sign = ">=" if higher else "<="
            checks.append((f"{metric} ({name})", _fmt(summary[metric]), f"{sign} {target}",
                           _check(summary[metric], target, higher)))
        if name in RECALL_BY_TYPE_TARGET:
            target = RECALL_BY_TYPE_TARGET[name]
            for t, row in summary["per_type"].items():
                checks.append((f"recall {t} ({name})", _fmt(row["recall"]), f">= {target}",
                               _check(row["recall"], target, True)))
        if name == "cxr":
            cxr = reports
        if name == "layouts":
            layouts = reports

    if layouts:
        deid = Deidentifier(detector, secret=b"eval-secret")
        results = deid.deidentify_batch([r.text for r in layouts], [r.patient_id for r in layouts])
        left = lay.left_in_output(layouts, results)
        metrics["replacement_layouts"] = {k: len(v) for k, v in left.items()}
        print(f"\n## Replacement: own layouts\n\nName tokens left: {len(left['name_tokens'])}, "
              f"dates left: {len(left['dates'])}.")
        if args.show_misses:
            for kind, values in left.items():
                print(f"- {kind} left: {sorted(set(values))[:TOP]}")
        checks.append(("layouts: name tokens and dates left", str(sum(map(len, left.values()))), "0",
                       _verdict(not any(left.values()))))

    if cxr:
        deid = Deidentifier(detector, secret=b"eval-secret")
        results, secs = _timed(deid.deidentify_batch, [r.text for r in cxr],
                               [r.patient_id for r in cxr])
        metrics["speed"]["deidentify_cxr_reports_per_s"] = round(len(cxr) / secs, 2)
        dsc = score_deid(cxr, results)
        dsum = dsc.summary()
        print_deid(dsum, dsc, args.show_misses)
        inconsistent = dsum.pop("_inconsistent")
        metrics["replacement_cxr"] = dsum
        if args.show_misses:
            metrics["replacement_cxr"]["inconsistent"] = inconsistent
        same = dsum["dates_same_format"]
        checks += [
            ("dates in original format", _fmt(same), f">= {DATE_FORMAT_TARGET}",
             _check(same, DATE_FORMAT_TARGET, True)),
            ("every patient one shift",
             f"{dsum['patients_one_good_shift']}/{dsum['patients_with_dates']}", "all",
             _verdict(dsum["patients_one_good_shift"] == dsum["patients_with_dates"])),
            ("same name/MRN -> same surrogate", str(dsum["name_mrn_inconsistent"]), "0",
             _verdict(dsum["name_mrn_inconsistent"] == 0)),
        ]

    print("\n## Speed (single process)\n")
    for key, value in metrics["speed"].items():
        print(f"- {key}: {value}")
    print("\n## Targets\n\n| check | value | target | result |\n|---|---:|---:|---|")
    for row in checks:
        print("| " + " | ".join(row) + " |")
    metrics["targets"] = [dict(zip(("check", "value", "target", "result"), r, strict=True))
                          for r in checks]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(metrics, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
