"""Real-text corpora for ``eval_deid.py``: WashU HL7 reports (recall) and MTSamples (over-redaction).

- ``washu_hl7/reports.jsonl``: radiology reports from HL7 messages with name / accession / MRN /
  date spans taken from the messages' own fields (partial gold: initials and exam codes are not
  marked). Scored for recall like the other gold corpora.
- ``mtsamples/notes.jsonl``: real transcriptions whose identifiers the site already removed. There
  is no gold: almost every word a de-identifier changes is over-redaction. Scored here as

  * alphabetic words changed by a detection of a type other than date, age, city/place or
    institution (those may be real leftovers of the site's scrubbing), over all alphabetic words;
    a name right after a title ("Dr. X", "Dr. Chang", "Mr. Barker") is not counted either: the
    site's placeholders and the physician names it left stand in that slot (counted apart);
  * the same for every detection type (for information);
  * numbers with units (doses, measurements, rates: ``40 mg``, ``2.5 cm``, ``120/80 mmHg``,
    ``37.2 C``, ``5%``) kept whole, which must be 100 %;
  * the most-changed words, so that a reviewer sees what is damaged.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import phi_inject as pi

WASHU = Path("washu_hl7") / "reports.jsonl"
MTSAMPLES = Path("mtsamples") / "notes.jsonl"

# Detections whose words do not count as over-redaction on MTSamples: the site left some dates,
# ages, hospitals and towns in place, and changing those is what a de-identifier should do.
EXCUSED_TYPES = frozenset({"DATE", "AGE", "LOCATION", "ORGANIZATION"})
_AFTER_TITLE = re.compile(r"\b(?:Dr|Drs|Mr|Mrs|Ms|Miss|Prof|Doctor)\.?[ \t]+(?:[A-Z][\w'’\-]*\.?[ \t]+)?$")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_UNIT = (
    r"(?:mg|mcg|µg|ug|g|kg|lb|lbs|oz|ml|mL|cc|L|l|dL|dl|cm|mm|m|in|inch|inches|ft|%|units?|IU|mEq|meq|mmol"
    r"|mmHg|mm\s?Hg|bpm|°C|°F|degrees|mg/dL|mg/dl|mg/kg|mcg/kg|g/dL|mL/hr|ml/hr|cc/hr|L/min|liters?"
    r"|hours?|hrs?|minutes?|mins?|days?|weeks?|tablets?|tabs?|puffs?|drops?|French|Fr|gauge"
    r"|joules|J|mA|kV|mSv|Gy|cGy)"
)
NUMBER_WITH_UNIT = re.compile(
    rf"(?<![\w.])\d+(?:[.,]\d+)?(?:/\d+(?:\.\d+)?)?(?:\s?(?:-|to|x)\s?\d+(?:\.\d+)?)?\s?{_UNIT}(?![\w/])"
    r"|(?<![\w./:])(?:3\d|4[0-4]|9\d|10\d|11[0-2])(?:\.\d{1,2})?\s?[CF]\b"  # temperatures
)


def load_gold(path: Path, limit: int | None, spans: str, patient: str) -> list[pi.Report]:
    """Records with gold spans under `spans` ({start, end, type, text}) and the patient under `patient`."""
    reports: list[pi.Report] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(reports) >= limit:
                break
            rec = json.loads(line)
            phi = [pi.GoldSpan(s["start"], s["end"], s["type"], s["text"]) for s in rec[spans]]
            reports.append(pi.Report(rec["id"], str(rec[patient]), rec["text"], phi))
    return reports


def load_washu(path: Path, limit: int | None) -> list[pi.Report]:
    return load_gold(path, limit, "spans", "id")  # each report its own patient


def load_mtsamples(path: Path, limit: int | None) -> list[tuple[str, str]]:
    notes: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(notes) >= limit:
                break
            rec = json.loads(line)
            notes.append((rec["id"], rec["text"]))
    return notes


@dataclass
class OverRedaction:
    words: int = 0
    changed: int = 0  # by a detection of a type outside EXCUSED_TYPES
    changed_any: int = 0  # by any detection
    after_title: int = 0  # names right after a title, not counted in `changed`
    docs: int = 0
    docs_damaged: int = 0  # with at least one word counted in `changed`
    numbers: int = 0
    numbers_kept: int = 0
    by_type: Counter = field(default_factory=Counter)  # detected type -> words changed
    words_changed: Counter = field(default_factory=Counter)  # (type, word) -> count
    numbers_changed: Counter = field(default_factory=Counter)  # number text -> count

    def summary(self, top: int, with_text: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "docs": self.docs, "alpha_words": self.words,
            "words_changed": _ratio(self.changed, self.words),
            "words_changed_any_type": _ratio(self.changed_any, self.words),
            "names_after_title": self.after_title,
            "docs_damaged": _ratio(self.docs_damaged, self.docs),
            "numbers_with_units": self.numbers,
            "numbers_with_units_kept": _ratio(self.numbers_kept, self.numbers),
            "words_changed_by_type": dict(self.by_type.most_common()),
        }
        if with_text:
            out["most_changed_words"] = [
                {"type": t, "word": w, "count": n} for (t, w), n in self.words_changed.most_common(top)
            ]
            out["numbers_changed"] = [{"text": t, "count": n} for t, n in self.numbers_changed.most_common(top)]
        return out


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def score_overredaction(texts: Sequence[str], detected: Sequence[Sequence[Any]]) -> OverRedaction:
    sc = OverRedaction()
    for text, spans in zip(texts, detected, strict=True):
        owner = [""] * len(text)
        for s in spans:
            kind = str(getattr(s.entity_type, "value", s.entity_type))
            for i in range(max(0, s.start), min(len(text), s.end)):
                owner[i] = kind
        sc.docs += 1
        damaged = False
        for m in _WORD.finditer(text):
            sc.words += 1
            kinds = {owner[i] for i in range(m.start(), m.end()) if owner[i]}
            if not kinds:
                continue
            sc.changed_any += 1
            counted = kinds - EXCUSED_TYPES
            if counted and _AFTER_TITLE.search(text, max(0, m.start() - 12), m.start()):
                sc.after_title += 1
                continue
            if counted:
                kind = sorted(counted)[0]
                sc.changed += 1
                sc.by_type[kind] += 1
                sc.words_changed[(kind, m.group())] += 1
                damaged = True
        sc.docs_damaged += damaged
        for m in NUMBER_WITH_UNIT.finditer(text):
            sc.numbers += 1
            if any(owner[i] for i in range(m.start(), m.end())):
                sc.numbers_changed[m.group()] += 1
            else:
                sc.numbers_kept += 1
    return sc
