"""`radprep compare`: how far two runs agree, section by section (exact match and token-F1).

Either run may be JSONL, CSV or Parquet output, read by `service.output.read_output` (by extension)."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from service.errors import InputError, RecordError
from service.output import read_output
from service.sections import SECTION_NAMES

_TOKEN = re.compile(r"\w+")


def token_f1(a: str | None, b: str | None) -> float:
    """Token-F1 of two section values (lower-cased word tokens); both empty counts as 1.0."""
    ta, tb = Counter(_TOKEN.findall((a or "").lower())), Counter(_TOKEN.findall((b or "").lower()))
    if not ta or not tb:
        return float(ta == tb)
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    precision, recall = common / sum(tb.values()), common / sum(ta.values())
    return 2 * precision * recall / (precision + recall)


def _sections(path: Path) -> dict[str, dict[str, str | None]]:
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    out: dict[str, dict[str, str | None]] = {}
    for row in read_output(path):
        if isinstance(row, RecordError):
            raise InputError(f"{path.name} {row.where}: not a radprep output record ({row.problem})")
        try:
            out[str(row.data["id"])] = {name: row.data["sections"][name] for name in SECTION_NAMES}
        except (KeyError, TypeError):
            raise InputError(f"{path.name} {row.where}: not a radprep output record") from None
    return out


def compare(a: Path, b: Path) -> dict[str, Any]:
    left, right = _sections(a), _sections(b)
    shared = [i for i in left if i in right]
    report: dict[str, Any] = {"records": len(shared), "only_in_a": len(left) - len(shared),
                              "only_in_b": len(right) - len(shared), "sections": {}}
    for name in SECTION_NAMES:
        f1s = [token_f1(left[i][name], right[i][name]) for i in shared]
        exact = [_norm(left[i][name]) == _norm(right[i][name]) for i in shared]
        report["sections"][name] = {
            "exact": round(sum(exact) / len(shared), 4) if shared else None,
            "token_f1": round(sum(f1s) / len(shared), 4) if shared else None,
            "disagreeing_ids": [i for i, same in zip(shared, exact, strict=True) if not same],
        }
    return report


def _norm(value: str | None) -> str:
    return " ".join((value or "").split())


def run_compare(a: Path, b: Path, json_path: Path | None, show: int) -> int:
    report = compare(a, b)
    out = sys.stdout
    out.write(f"{report['records']} records in both "
              f"({report['only_in_a']} only in A, {report['only_in_b']} only in B)\n\n")
    out.write("| section | exact match | token-F1 | disagreeing |\n| --- | --- | --- | --- |\n")
    for name, row in report["sections"].items():
        out.write(f"| {name} | {row['exact']} | {row['token_f1']} | {len(row['disagreeing_ids'])} |\n")
    for name, row in report["sections"].items():
        if row["disagreeing_ids"]:
            ids = row["disagreeing_ids"][:show]
            more = len(row["disagreeing_ids"]) - len(ids)
            out.write(f"\n{name}: {', '.join(ids)}" + (f" … and {more} more" if more > 0 else "") + "\n")
    if json_path:
        json_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0
