"""Training data for radprep's section model: reports with a gold label per unit, from text we may train on.

    python models/section_data.py [-n 4000] [--dev 200] [--seed 0] [-o models/out/sections]

Two sources, nothing else: reports written here from our own sentence bank (chest radiographs:
indications, comparisons, findings, impressions in many phrasings and lengths, sections missing
at random), and the report text of `../shared/data/washu_hl7` (MIT; its EXAMINATION / FINDINGS /
IMPRESSION headers give the gold, and the text is rendered again with its headers removed or
varied). Never IU X-ray, MTSamples or PhysioNet text: those are for evaluation only.

Each report is built as pieces (a header or a section body, labelled, or other text: titles,
preambles, technique, field lines, sign-offs) and rendered in one of `LAYOUTS`: headers on their
own line or inline, aliases in any case, any order, none at all, on some sections only, short
labels, VistA-style fields, hard wraps, CRLF, and flattened to one line with ", " or " ". The gold
is the label of each unit (`service.sections.units.split_units`, the units the task numbers at
inference): the section whose header or body covers most of the unit's characters, else "O".
Output: `train.jsonl` and `dev.jsonl`, one `{"text", "labels", "layout", "source"}` a line.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from section_bank import NAMES, TITLES, Gold, Writer  # noqa: E402

from service.sections.task import LABEL_OF, OTHER  # noqa: E402
from service.sections.units import split_units  # noqa: E402

WASHU = Path(__file__).resolve().parents[2] / "shared" / "data" / "washu_hl7" / "reports.jsonl"
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "sections"
Piece = tuple[str, str | None]  # text and its section (None: other text)

# ---- other text: titles, preambles, technique, sign-offs, field lines -----------------------------
PREAMBLES = ("RADIOLOGY REPORT", "FINAL REPORT", "********Preliminary Report********", "Report status: Final",
             "Accession: {num}", "ACC# {num}  {date}", "Exam date: {date}", "Ordering physician: Dr. Pat Doe",
             "Patient: DOE, JANE   MRN: {num}", "Location: ED", "Priority: STAT", "Study: {title}",
             "Procedure: {title}", "Referring: Dr. Lee")
TECHNIQUES = ("PA and lateral views of the chest.", "Single portable AP view of the chest.",
              "Frontal and lateral radiographs.", "AP upright view.", "2 views.", "One view, portable, supine.")
SIGNOFFS = ("Electronically signed by: Dr. A. Doe, MD", "Dictated by: B. Roe, MD\nTranscribed by: CD",
            "I have personally reviewed the images and agree with the report above.",
            "Signed: Dr. Q. Smith {date}", "Attending: R. Jones, MD", "Dictated By: Lee,Kim M.D. on {date}",
            "This document has been electronically signed.", "Reading radiologist: Dr. Park",
            "Report finalized {date}.", "END OF REPORT", "/ES/ P. SAMPLE, MD")
HEADERS = {
    "indication": ("INDICATION", "CLINICAL HISTORY", "HISTORY", "REASON FOR EXAM", "CLINICAL INDICATION",
                   "REASON FOR STUDY", "CLINICAL INFORMATION", "CLINICAL DATA", "HX", "REASON", "INDICATIONS",
                   "CLINICAL NOTES", "HISTORY AND REASON FOR EXAM"),
    "comparison": ("COMPARISON", "COMPARISONS", "PRIOR STUDIES", "PRIOR", "COMPARISON STUDY", "PRIOR EXAMS",
                   "COMP", "PREVIOUS"),
    "findings": ("FINDINGS", "FINDING", "REPORT", "DESCRIPTION", "OBSERVATIONS", "DISCUSSION", "RESULT"),
    "impression": ("IMPRESSION", "IMPRESSIONS", "CONCLUSION", "CONCLUSIONS", "OPINION", "SUMMARY",
                   "ASSESSMENT", "DIAGNOSIS", "IMP", "INTERPRETATION"),
}


# ---- washu_hl7 (MIT): findings and impression from its headers -------------------------------------
_WASHU_HEADER = re.compile(r"(?m)^([A-Z][A-Z /]{2,40}):[ \t]*")
_WASHU_MAP = {"HISTORY": "indication", "CLINICAL INDICATION": "indication", "COMPARISON": "comparison",
              "FINDINGS": "findings", "IMPRESSION": "impression"}
_SIGNOFF = re.compile(r"(?im)^(?:requested by|dictated by|pending review|this document|addendum)")


def washu_sections(path: Path = WASHU, max_sentences: int = 3) -> list[Gold]:
    """Gold sections of the washu_hl7 reports whose headers all map to a section or EXAMINATION; each
    section cut to its first `max_sentences` sentences (its lines joined), so examples stay short."""
    out: list[Gold] = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        sign = _SIGNOFF.search(text)
        text = text[: sign.start()] if sign else text
        hits = list(_WASHU_HEADER.finditer(text))
        gold = {name: "" for name in NAMES}
        usable = bool(hits)
        for i, hit in enumerate(hits):
            name = _WASHU_MAP.get(hit.group(1))
            if name is None and hit.group(1) != "EXAMINATION":
                usable = False
            end = hits[i + 1].start() if i + 1 < len(hits) else len(text)
            if name:
                body = " ".join(text[hit.end() : end].split())
                gold[name] = " ".join(re.split(r"(?<=[.!?])\s+(?=[A-Z])", body)[:max_sentences])
        if usable and (gold["findings"] or gold["impression"]):
            out.append(gold)
    return out


# ---- layouts: pieces of (text, section) ------------------------------------------------------------
def _header(name: str, rng: random.Random, classic: float = 0.5) -> str:
    header = HEADERS[name][0] if rng.random() < classic else rng.choice(HEADERS[name])
    return rng.choice((header, header, header.title(), header.lower() if rng.random() < 0.3 else header.title()))


def _order(gold: Gold, rng: random.Random, shuffle: float = 0.12) -> list[str]:
    names = [n for n in NAMES if gold[n]]
    if rng.random() < shuffle:
        rng.shuffle(names)
    elif rng.random() < 0.15 and "comparison" in names:  # comparison after the findings, a common variant
        names.remove("comparison")
        names.insert(min(len(names), names.index("findings") + 1 if "findings" in names else len(names)),
                     "comparison")
    return names


def _frame(w: Writer, body: list[Piece], sep: str, pre: float = 0.4, post: float = 0.4) -> list[Piece]:
    """Other text around a report: title and preamble lines before, sign-off lines after."""
    r = w.rng
    head: list[Piece] = []
    if r.random() < pre:
        head += [(w.other(PREAMBLES), None), (sep, None)]
    if r.random() < pre:
        head += [(w.other(TITLES), None), (sep, None)]
    tail: list[Piece] = []
    if r.random() < post:
        tail += [(sep, None), (w.other(SIGNOFFS), None)]
    return head + body + tail


def headered(gold: Gold, w: Writer, *, inline: float = 0.5, headerless: frozenset[str] = frozenset()) -> list[Piece]:
    r = w.rng
    sep = r.choice(("\n", "\n\n", "\n\n", "\n \n"))
    colon = r.choice((":", ":", ":", " -", ""))
    body: list[Piece] = []
    for name in _order(gold, r):
        if body:
            body.append((sep, None))
        if name == "findings" and r.random() < 0.15:
            body += [(f"TECHNIQUE: {w.pick(TECHNIQUES)}", None), (sep, None)]
        if name in headerless:
            body.append((gold[name], name))
            continue
        joint = " " if r.random() < inline else "\n"
        body += [(_header(name, r) + (colon or (":" if joint == " " else "")), name), (joint, None),
                 (gold[name], name)]
    return _frame(w, body, sep)


def partly(gold: Gold, w: Writer) -> list[Piece]:
    """Headers on some sections only: often the impression alone, or findings without one."""
    present = [n for n in NAMES if gold[n]]
    keep = {"impression"} if w.rng.random() < 0.4 else set(w.rng.sample(present, w.rng.randint(1, len(present))))
    return headered(gold, w, headerless=frozenset(n for n in present if n not in keep))


def no_headers(gold: Gold, w: Writer) -> list[Piece]:
    """Sections in report order without headers: apart by blank lines (most often), single line breaks
    or spaces; sometimes one sentence a line or the impression's items on lines of their own, so a
    paragraph break is a strong hint of a new section, never a rule."""
    r = w.rng
    sep = r.choice(("\n\n", "\n\n", "\n\n", "\n", "\n", " ", "\n \n", "\n\n\n"))
    body: list[Piece] = []
    for name in _order(gold, r, shuffle=0.0):
        if body:
            body.append((sep, None))
        text = gold[name]
        if r.random() < 0.2:  # one sentence a line
            text = re.sub(r"(?<=[.!?]) (?=[A-Z0-9])", "\n", text)
        elif name == "findings" and r.random() < 0.1:  # findings in two paragraphs
            text = re.sub(r"(?<=[.!?]) (?=[A-Z0-9])", "\n\n", text, count=1)
        body.append((text, name))
    return _frame(w, body, "\n", pre=0.15, post=0.15)


def short_labels(gold: Gold, w: Writer) -> list[Piece]:
    """One paragraph of sentences behind short labels ("Hx:", "Comp:", "Imp:"), some unlabelled."""
    r = w.rng
    short = {"indication": ("Hx", "Reason", "Indication", "Clinical"), "comparison": ("Comp", "Prior", "Comparison"),
             "findings": ("Findings", "Report", ""), "impression": ("Imp", "Impression", "Conclusion", "IMP")}
    body: list[Piece] = [(w.other(TITLES) + ".", None), (" ", None)] if r.random() < 0.6 else []
    for name in _order(gold, r):
        if body:
            body.append((" ", None))
        label = r.choice(short[name]) if r.random() < 0.8 else ""
        if label:
            body += [(f"{label}:", name), (" ", None)]
        body.append((gold[name], name))
    return body


def vista(gold: Gold, w: Writer) -> list[Piece]:
    """Field lines before and between the sections, indented section blocks, staff lines after."""
    r = w.rng
    fields = ["Exm Date: {date}", "Req Phys: DOE,PAT", "Pat Loc: ER", "Img Loc: X-RAY", "Service: Medicine",
              "(Case {num} COMPLETE) {title}", "Proc Modifiers : NONE", "Report Status: Verified",
              "Date Reported: {date}", "Verifier E-Sig:/ES/A. DOE, MD", "Primary Diagnostic Code: NORMAL"]
    body: list[Piece] = []
    for field in r.sample(fields[:6], r.randint(2, 5)):
        body += [(w.fill(field), None), ("\n", None)]
    names = _order(gold, r, shuffle=0.0)
    for i, name in enumerate(names):
        indent = r.choice(("    ", "  ", ""))
        label = {"indication": "Clinical History", "comparison": "Comparison", "findings": "Report",
                 "impression": "Impression"}[name] if r.random() < 0.7 else _header(name, r).title()
        body += [(f"{indent}{label}:", name), ("\n", None), (_wrap(gold[name], r, indent + "  "), name), ("\n\n", None)]
        if i == 0 and r.random() < 0.5:
            for field in r.sample(fields[7:], 2):
                body += [(w.fill(field), None), ("\n", None)]
    body += [(w.fill(r.choice(fields[7:])), None), ("\n", None), (w.other(SIGNOFFS), None)]
    return body


def washu_like(gold: Gold, w: Writer) -> list[Piece]:
    """EXAMINATION line, then headered sections, sign-off lines: the export washu_hl7 comes in."""
    r = w.rng
    body: list[Piece] = [(f"EXAMINATION: {w.other(TITLES)}", None), ("\n", None)]
    for name in _order(gold, r, shuffle=0.0):
        body += [(f"{_header(name, r, classic=0.7)}:", name), ("\n", None), (_wrap(gold[name], r), name),
                 ("\n\n", None)]
    body.append((w.other(SIGNOFFS), None))
    return body


def _wrap(text: str, rng: random.Random, indent: str = "") -> str:
    if rng.random() < 0.5:
        return indent + text
    width = rng.randint(45, 90)
    return "\n".join(textwrap.fill(p, width, initial_indent=indent, subsequent_indent=indent)
                     for p in text.split("\n"))


LAYOUTS: dict[str, tuple[float, Callable[[Gold, Writer], list[Piece]]]] = {
    "headered": (0.16, headered),
    "inline": (0.08, lambda g, w: headered(g, w, inline=1.0)),
    "partly_headered": (0.14, partly),
    "headerless": (0.38, no_headers),
    "short_labels": (0.08, short_labels),
    "vista": (0.06, vista),
    "washu_like": (0.06, washu_like),
}
TRANSFORMS = {"none": 0.62, "flat_space": 0.10, "flat_comma": 0.08, "wrapped": 0.07, "crlf": 0.05, "upper": 0.05,
              "run_on_line": 0.03}


def transform(pieces: list[Piece], kind: str, rng: random.Random) -> list[Piece]:
    """The same pieces with line breaks flattened, hard-wrapped, CRLF or upper-cased (labels unchanged)."""
    if kind == "none":
        return pieces
    if kind == "upper":
        return [(text.upper(), name) for text, name in pieces]
    if kind == "crlf":
        return [(text.replace("\n", "\r\n"), name) for text, name in pieces]
    if kind == "wrapped":
        width = rng.randint(40, 75)
        return [(textwrap.fill(text, width) if len(text) > width else text, name) for text, name in pieces]
    joint = {"flat_space": " ", "flat_comma": rng.choice((", ", ",")), "run_on_line": " "}[kind]
    out: list[Piece] = []
    for text, name in pieces:
        if not text.strip():
            out.append((joint, None))
        else:
            out.append((joint.join(line for line in text.splitlines() if line.strip()), name))
    return out


def unit_labels(pieces: list[Piece]) -> tuple[str, str]:
    """The report text and one label per unit: the section covering most of the unit, else OTHER."""
    text, owner = "", []
    for piece, name in pieces:
        text += piece
        owner += [name] * len(piece)
    labels = []
    for unit in split_units(text):
        counts: dict[str, int] = {}
        for name in owner[unit.start : unit.end]:
            if name is not None:
                counts[name] = counts.get(name, 0) + 1
        labels.append(LABEL_OF[max(counts, key=counts.__getitem__)] if counts else OTHER)
    return text, "".join(labels)


def examples(n: int, seed: int, dev: bool = False, washu_share: float = 0.35,
             max_units: int = 28) -> list[dict[str, str]]:
    """n labelled reports; `dev` draws its washu_hl7 text from the tenth of the reports that training never sees."""
    rng = random.Random(seed)
    w = Writer(rng)
    washu = [g for i, g in enumerate(washu_sections()) if (i % 10 == 0) == dev]
    layout_names, weights = zip(*((k, v[0]) for k, v in LAYOUTS.items()), strict=True)
    kinds, kind_weights = zip(*TRANSFORMS.items(), strict=True)
    out: list[dict[str, str]] = []
    while len(out) < n:
        from_washu = bool(washu) and rng.random() < washu_share
        gold = dict(rng.choice(washu)) if from_washu else w.sections()
        if from_washu and rng.random() < 0.7:  # the chest-style sections it lacks, from our bank
            own = w.sections()
            gold.update({k: own[k] for k in ("indication", "comparison") if not gold[k]})
        layout = rng.choices(layout_names, weights)[0]
        kind = rng.choices(kinds, kind_weights)[0]
        text, labels = unit_labels(transform(LAYOUTS[layout][1](gold, w), kind, rng))
        if not 1 <= len(labels) <= max_units:
            continue
        out.append({"text": text, "labels": labels, "layout": f"{layout}+{kind}",
                    "source": "washu_hl7" if from_washu else "generated"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=4000, help="training examples")
    parser.add_argument("--dev", type=int, default=200, help="held-out dev examples (another seed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", examples(args.n, args.seed)),
                       ("dev", examples(args.dev, args.seed + 1000, dev=True))):
        with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
        print(f"{name}: {len(rows)} examples -> {args.out / f'{name}.jsonl'}")


if __name__ == "__main__":
    main()
