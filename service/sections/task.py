"""The LLM section task: build prompts for a report, and turn a reply into a validated SectionResult.

Four output modes:
- `tags`: the report is shown as numbered units, blank lines kept; the model answers each unit's
  number and a letter (`{"tags": "1O2I3F4F5M"}`), the numbers fixed by a pattern, so the model
  never counts units: it only picks the letter after each number (a look-up of unit [n] in the
  prompt). Two output tokens per unit: the answer radprep's fine-tuned model gives;
- `labels`: the report is shown as numbered units; the model answers one letter per unit
  (`{"labels": "O I F F M"}`: I indication, C comparison, F findings, M impression, O other), held
  to exactly as many letters as units by a pattern; a unit's text goes to its letter's section.
  One output token per unit, but the model has to count the units;
- `spans`: the report is shown as numbered units (`units`); the model answers [first, last] unit
  numbers per section, and the text is copied from the report (verbatim by construction, and a
  few dozen output tokens per report);
- `text`: the model writes each section's text; it must be found verbatim in the report (after
  whitespace normalisation) or the answer is rejected.
Either way a section never overlaps another, never contains another section's header, has its own
header stripped, and is None when absent. A rejected answer raises SectionValidationError.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from service.backends.base import Completion, CompletionRequest, Constraints
from service.errors import ConfigError, SectionValidationError
from service.sections.checks import validate_spans
from service.sections.headerless import STATES, heuristic_units, relabel, repairable, split_with_scores
from service.sections.headers import SECTION_HEADER_GROUPS, find_headers
from service.sections.result import SECTION_NAMES, SectionResult, Span
from service.sections.rules import RulesSectioner
from service.sections.units import Unit, numbered, split_units

Mode = Literal["tags", "labels", "spans", "text"]
PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_USER_MARK = "=== user ==="
LLM_CONFIDENCE = 0.8  # a validated LLM answer: below the rules' "confident" mark, above a guess
LABEL_OF = {"indication": "I", "comparison": "C", "findings": "F", "impression": "M"}
OTHER = "O"  # a unit of no section: titles, technique, field lines, sign-offs
_SECTION_OF = {letter: name for name, letter in LABEL_OF.items()}
_LETTER = "[" + "".join(LABEL_OF.values()) + OTHER + "]"
_LETTERS = "".join(LABEL_OF.values()) + OTHER
_STATE_LETTERS = tuple(LABEL_OF.get(state, OTHER) for state in STATES)
_RULES = RulesSectioner()
_UNLIKELY = -12.0
"""The log-probability of a letter the backend did not list among its top candidates (and the floor of
those it did): about 1 in 160,000, so that one unlikely letter never outweighs the rest of a report."""


def label_pattern(units: int) -> str:
    """Exactly `units` letters, one space between: the pattern a `labels` answer is held to."""
    return f"^{_LETTER}( {_LETTER}){{{max(0, units - 1)}}}$"


def tag_pattern(units: int) -> str:
    """Each unit's number, 1 to `units`, each followed by one letter: the pattern a `tags` answer is held to."""
    return "^" + "".join(f"{n}{_LETTER}" for n in range(1, units + 1)) + "$"


def tags_answer(labels: str) -> str:
    """The `tags` reply (compact JSON) that gives these unit labels ("OIFFM" -> "1O2I3F4F5M")."""
    return json.dumps({"tags": "".join(f"{n}{letter}" for n, letter in enumerate(labels, start=1))},
                      separators=(",", ":"))


def labels_answer(labels: str) -> str:
    """The reply, as the engine writes it (compact JSON), that gives these unit labels ("OIFFM")."""
    return json.dumps({"labels": " ".join(labels)}, separators=(",", ":"))


def spans_answer(labels: str) -> str:
    """The `spans` reply (compact JSON, [first, last] unit numbers or []) for these unit labels."""
    answer: dict[str, list[int]] = {}
    for name in SECTION_NAMES:
        mine = [i for i, letter in enumerate(labels, start=1) if letter == LABEL_OF[name]]
        answer[name] = [mine[0], mine[-1]] if mine else []
    return json.dumps(answer, separators=(",", ":"))


def response_schema(mode: Mode, units: int | None = None) -> dict[str, Any]:
    """The JSON schema of an answer: the subset that OpenAI strict mode and vLLM both accept.
    `labels` and `tags` answers are held to the report's number of units (`units`) by a pattern."""
    if mode in ("labels", "tags"):
        letters: dict[str, Any] = {"type": "string"}
        if units is not None:
            letters["pattern"] = label_pattern(units) if mode == "labels" else tag_pattern(units)
        return {"type": "object", "properties": {mode: letters}, "required": [mode],
                "additionalProperties": False}
    value: dict[str, Any] = (
        {"type": "array", "items": {"type": "integer"}} if mode == "spans" else {"type": ["string", "null"]}
    )
    return {
        "type": "object",
        "properties": {name: value for name in SECTION_NAMES},
        "required": list(SECTION_NAMES),
        "additionalProperties": False,
    }


@cache
def _template(prompts_dir: Path, name: str) -> jinja2.Template:
    path = prompts_dir / f"{name}.jinja"
    if not path.is_file():
        raise ConfigError(f"prompt {name!r} not found in {prompts_dir} (set RADPREP_PROMPTS_DIR)")
    return jinja2.Template(path.read_text(encoding="utf-8"), undefined=jinja2.StrictUndefined,
                           keep_trailing_newline=False)


@dataclass(frozen=True)
class SectionTask:
    """Prompt building and answer parsing for one output mode and prompt version."""

    mode: Mode = "spans"
    prompt_version: str = "v1"
    prompts_dir: Path = PROMPTS_DIR
    joint_weight: float | None = None
    """`tags` mode: the weight of the model's letter log-probabilities against the headerless heuristic's
    unit scores when the two are decoded together (`split_with_scores`); None: the model's letters as
    written. Used only where the backend returns the log-probabilities (`Completion.letter_logprobs`)."""

    @property
    def prompt_name(self) -> str:
        return f"sections.{self.mode}.{self.prompt_version}"

    @property
    def joint(self) -> bool:
        """Whether answers are decoded with the heuristic (`tags` mode with a joint weight)."""
        return self.mode == "tags" and bool(self.joint_weight)

    def units(self, text: str) -> list[Unit]:
        """The units the prompt numbers: with a joint decode, those the heuristic labels (`split_units`
        cut at soft breaks too: "Comp: None Heart size is normal" is two), so that model and heuristic
        score the same units; otherwise `split_units`."""
        return heuristic_units(text) if self.joint else split_units(text)

    def request(self, text: str) -> CompletionRequest:
        units = self.units(text)
        rendered = _template(self.prompts_dir, self.prompt_name).render(
            numbered_report=numbered(text, units), numbered_paragraphs=numbered(text, units, paragraphs=True),
            report=text,
        )
        system, _, user = rendered.partition(_USER_MARK)
        if not user:
            raise ConfigError(f"prompt {self.prompt_name!r} has no '{_USER_MARK}' line")
        if self.mode in ("labels", "tags"):
            # labels: a letter and its space per unit; tags: the number's digits and a letter
            per_unit = 2 if self.mode == "labels" else 2 + len(str(len(units)))
            max_tokens = 16 + per_unit * len(units)
            constraints = Constraints(response_schema(self.mode, len(units)), units=len(units))
        elif self.mode == "spans":
            max_tokens = 24 + 10 * len(SECTION_NAMES)
            constraints = Constraints(response_schema(self.mode), units=len(units))
        else:
            max_tokens = 64 + len(text) // 2
            constraints = Constraints(response_schema(self.mode), max_chars=len(text))
        return CompletionRequest(
            messages=[{"role": "system", "content": system.strip()}, {"role": "user", "content": user.strip()}],
            constraints=constraints, max_tokens=max_tokens, document=text,
            scored=_LETTERS if self.joint else "",
        )

    def parse(self, text: str, reply: str) -> SectionResult:
        try:
            answer = json.loads(reply)
        except json.JSONDecodeError:
            raise SectionValidationError("not_json") from None
        keys = {self.mode} if self.mode in ("labels", "tags") else set(SECTION_NAMES)
        reasons: tuple[str, ...] = ("llm",)
        if not isinstance(answer, dict) or set(answer) != keys:
            raise SectionValidationError("wrong_keys")
        if self.mode == "labels":
            spans = _spans_from_labels(self.units(text), answer["labels"])
        elif self.mode == "tags":
            letters = _letters_of_tags(answer["tags"])
            steps = reply.letter_logprobs if isinstance(reply, Completion) else None
            if self.joint_weight and steps is not None and len(steps) == len(letters.split()):
                if len(steps) != len(self.units(text)):
                    raise SectionValidationError("wrong_unit_count")
                spans, how = _joint_spans(text, [_state_scores(step, self.joint_weight) for step in steps])
                reasons = ("llm", how)
            else:
                spans = _spans_from_labels(self.units(text), letters)
        elif self.mode == "spans":
            spans = _spans_from_units(text, answer)
        else:
            spans = _spans_from_text(text, answer)
        spans = {name: _strip_header(text, span) for name, span in spans.items()}
        _check(text, spans)
        return SectionResult.from_spans(text, spans, LLM_CONFIDENCE, reasons)


def _joint_spans(text: str, rows: list[list[float]]) -> tuple[dict[str, Span | None], str]:
    """The joint decode of the model's scores (`rows`, per unit and state) with the heuristic's, wherever
    the rules route would run the heuristic (`rules_or_heuristic`), and nowhere else: a report without
    headers is labelled unit by unit (`split_with_scores`); a headered one whose findings are missing and
    whose checks found another section's sentences inside one (`repairable`) is labelled again within the
    sections its headers found (`relabel`: a header's section starts at it, only its later sentences may
    move to a missing section). Any other headered report keeps the rules' sections: a header says where
    its section starts better than a 135M model does, and a sentence the model moves out of a section the
    checks did not question is, on every layout measured, a sentence taken from its own. With the reason
    that says which: ``joint_decode``, or ``headers_kept`` (the model's letters were not used)."""
    found = _RULES.split(text)
    if "no_headers" in found.reasons:
        return split_with_scores(text, rows), "joint_decode"
    spans = relabel(text, found, rows) if repairable(found) else None
    return (dict(found.spans), "headers_kept") if spans is None else (spans, "joint_decode")


def _state_scores(step: dict[str, float], weight: float) -> list[float]:
    """One unit's score per heuristic state: the weighted log-probability of the state's letter."""
    return [weight * max(_UNLIKELY, step.get(letter, _UNLIKELY)) for letter in _STATE_LETTERS]


def _letters_of_tags(value: Any) -> str:
    """ "1O2I3F" -> "O I F": each letter after its unit number, the numbers 1, 2, 3, ... in turn."""
    if not isinstance(value, str):
        raise SectionValidationError("wrong_type")
    pairs = re.findall(r"(\d+)(\D)", value)
    if "".join(n + letter for n, letter in pairs) != value:
        raise SectionValidationError("not_tags")
    if [int(n) for n, _ in pairs] != list(range(1, len(pairs) + 1)):
        raise SectionValidationError("wrong_unit_number")
    return " ".join(letter for _, letter in pairs)


def _spans_from_labels(units: list[Unit], value: Any) -> dict[str, Span | None]:
    """One letter per unit; each section's letters must form one run of consecutive units."""
    if not isinstance(value, str):
        raise SectionValidationError("wrong_type")
    letters = value.split()
    if any(letter not in _SECTION_OF and letter != OTHER for letter in letters):
        raise SectionValidationError("unknown_label")
    if len(letters) != len(units):
        raise SectionValidationError("wrong_unit_count")
    spans: dict[str, Span | None] = {}
    for name in SECTION_NAMES:
        mine = [i for i, letter in enumerate(letters) if letter == LABEL_OF[name]]
        if mine and mine[-1] - mine[0] + 1 != len(mine):
            raise SectionValidationError("not_contiguous")
        spans[name] = (units[mine[0]].start, units[mine[-1]].end) if mine else None
    return spans


def _spans_from_units(text: str, answer: dict[str, Any]) -> dict[str, Span | None]:
    units = split_units(text)
    spans: dict[str, Span | None] = {}
    for name in SECTION_NAMES:
        value = answer[name]
        if not isinstance(value, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
            raise SectionValidationError("wrong_type")
        if not value:
            spans[name] = None
            continue
        first, last = min(value), max(value)
        if len(value) > 2 and sorted(value) != list(range(first, last + 1)):
            raise SectionValidationError("not_contiguous")
        if len(value) == 2 and value[0] > value[1] or first < 1 or last > len(units):
            raise SectionValidationError("unit_out_of_range")
        spans[name] = (units[first - 1].start, units[last - 1].end)
    return spans


def _spans_from_text(text: str, answer: dict[str, Any]) -> dict[str, Span | None]:
    normal, positions = _normalise(text)
    spans: dict[str, Span | None] = {}
    taken: list[Span] = []
    for name in SECTION_NAMES:
        value = answer[name]
        if value is not None and not isinstance(value, str):
            raise SectionValidationError("wrong_type")
        wanted = " ".join((value or "").split())
        if not wanted:
            spans[name] = None
            continue
        span = None
        for m in re.finditer(re.escape(wanted), normal):
            candidate = (positions[m.start()], positions[m.end() - 1] + 1)
            if not any(candidate[0] < b and a < candidate[1] for a, b in taken):
                span = candidate
                break
        if span is None:
            raise SectionValidationError("not_verbatim")
        taken.append(span)
        spans[name] = span
    return spans


def _normalise(text: str) -> tuple[str, list[int]]:
    """Text with each whitespace run as one space, and each character's offset in the original."""
    out: list[str] = []
    positions: list[int] = []
    for m in re.finditer(r"\S+", text):
        if out:
            out.append(" ")
            positions.append(m.start() - 1)
        out.append(m.group())
        positions.extend(range(m.start(), m.end()))
    return "".join(out), positions


def _strip_header(text: str, span: Span | None) -> Span | None:
    """Cut a leading section header ("FINDINGS:") and surrounding blanks; None when nothing is left."""
    if span is None:
        return None
    start, end = span
    piece = text[start:end]
    hits = [h for h in find_headers(piece) if h.group in SECTION_HEADER_GROUPS]
    if hits and not piece[: hits[0].start].strip():
        start += hits[0].end
    while start < end and (text[start].isspace() or text[start] in ":-"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _check(text: str, spans: dict[str, Span | None]) -> None:
    if (reason := validate_spans(text, spans)) is not None:
        raise SectionValidationError(reason)
