"""Learn the weights of the headerless split (`service/sections/headerless.py`): an averaged
structured perceptron over the units' features, decoded by the same dynamic programme as at inference.

    python models/section_data.py -n 6000 --dev 300 --seed 0
    python models/train_heuristic.py [--data models/out/sections] [--epochs 8] [--seed 0]
                                     [--out service/sections/heuristic_weights.json]

Examples are the headerless ones of `models/section_data.py` (radprep's own sentence bank and the report
text of washu_hl7, MIT; never IU X-ray, MTSamples or PhysioNet text). Each unit's gold state comes from
the example's labels: I/C/F/M the four sections, O before the first section "none_before", O after the
last "none_after"; an example with O between sections is left out (the split has no such state). For
each example the perceptron decodes the best labelling with the weights so far and, where it differs
from the gold, adds the gold units' features to their state and takes the decoded ones' away (and the
same for the stay/move scores). The weights written are the average over all steps. It learns on the
units the labels are of (`split_units`: lines, sentences); at inference the heuristic also cuts at soft
breaks (`headerless.heuristic_units`), which makes sentence-like units of text that lost its
punctuation. Seeded (the order of the examples): the same data give the same file. It prints the errors
per epoch and the dev accuracy.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.sections.headerless import (  # noqa: E402
    STATES,
    WEIGHTS_PATH,
    best_states,
    paragraph_breaks,
    score_row,
    unit_features,
)
from service.sections.units import split_units  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "out" / "sections"
STATE_OF = {"I": 1, "C": 2, "F": 3, "M": 4}
NONE_BEFORE, NONE_AFTER = 0, len(STATES) - 1

Example = tuple[list[tuple[str, ...]], list[bool], list[int]]  # features per unit, blank line before, gold


def gold_states(labels: str) -> list[int] | None:
    """The state of each unit, or None when an O unit stands between two sections."""
    states = [STATE_OF.get(letter, -1) for letter in labels]
    sections = [i for i, state in enumerate(states) if state > 0]
    if not sections:
        return None
    first, last = sections[0], sections[-1]
    for i, state in enumerate(states):
        if state < 0:
            if first < i < last:
                return None
            states[i] = NONE_BEFORE if i < first else NONE_AFTER
    return states


def load(path: Path) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row["layout"].startswith("headerless"):
            continue
        text = row["text"]
        units = split_units(text)
        gold = gold_states(row["labels"])
        if gold is None or len(units) != len(gold):
            continue
        breaks = paragraph_breaks(text, units)
        examples.append((unit_features(text, units, breaks), breaks, gold))
    return examples


class Perceptron:
    """Weights per feature and state, stay/move scores per (blank line or not), and their running sums for
    the average (the standard trick: sum of c * update, subtracted from the final weights / c)."""

    def __init__(self) -> None:
        self.weights: defaultdict[str, list[float]] = defaultdict(lambda: [0.0] * len(STATES))
        self.sums: defaultdict[str, list[float]] = defaultdict(lambda: [0.0] * len(STATES))
        self.moves = {"stay": [0.0, 0.0], "move": [0.0, 0.0]}
        self.move_sums = {"stay": [0.0, 0.0], "move": [0.0, 0.0]}
        self.step = 1

    @classmethod
    def of(cls, model: dict[str, Any]) -> Perceptron:
        """A perceptron holding the weights of a written model (no sums: for decoding only)."""
        perceptron = cls()
        perceptron.weights.update({f: list(row) for f, row in model["weights"].items()})
        perceptron.moves = {kind: list(row) for kind, row in model["transitions"].items()}
        return perceptron

    def decode(self, features: list[tuple[str, ...]], breaks: list[bool]) -> list[int]:
        scores = [score_row(self.weights, unit) for unit in features]
        transitions = ((self.moves["stay"][0], self.moves["stay"][1]), (self.moves["move"][0], self.moves["move"][1]))
        return best_states(scores, breaks, transitions)

    def update(self, features: list[tuple[str, ...]], breaks: list[bool], gold: list[int], got: list[int]) -> None:
        for i, (want, have) in enumerate(zip(gold, got, strict=True)):
            if want != have:
                for feature in features[i]:
                    self._add(self.weights[feature], self.sums[feature], want, 1.0)
                    self._add(self.weights[feature], self.sums[feature], have, -1.0)
            if i:
                for states, sign in ((gold, 1.0), (got, -1.0)):
                    kind = "stay" if states[i] == states[i - 1] else "move"
                    self._add(self.moves[kind], self.move_sums[kind], int(breaks[i]), sign)

    def _add(self, weights: list[float], sums: list[float], index: int, value: float) -> None:
        weights[index] += value
        sums[index] += self.step * value

    def averaged(self) -> dict[str, Any]:
        def mean(weights: list[float], sums: list[float]) -> list[float]:
            return [round(w - s / self.step, 4) for w, s in zip(weights, sums, strict=True)]

        return {
            "states": list(STATES),
            "weights": {f: mean(self.weights[f], self.sums[f]) for f in sorted(self.weights)},
            "transitions": {k: mean(self.moves[k], self.move_sums[k]) for k in ("stay", "move")},
        }


def accuracy(model: Perceptron, examples: list[Example]) -> float:
    right = total = 0
    for features, breaks, gold in examples:
        got = model.decode(features, breaks)
        right += sum(a == b for a, b in zip(gold, got, strict=True))
        total += len(gold)
    return right / total if total else float("nan")


def train(examples: list[Example], epochs: int, seed: int) -> Perceptron:
    model = Perceptron()
    rng = random.Random(seed)
    order = list(examples)
    for epoch in range(epochs):
        rng.shuffle(order)
        wrong = 0
        for features, breaks, gold in order:
            got = model.decode(features, breaks)
            if got != gold:
                wrong += 1
                model.update(features, breaks, gold, got)
            model.step += 1
        print(f"epoch {epoch + 1}/{epochs}: {wrong} of {len(order)} examples not exactly right", flush=True)
    return model


def _shown(path: Path) -> str:
    """The data folder as the training command names it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of train.jsonl / dev.jsonl")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    train_set = load(args.data / "train.jsonl")
    dev_set = load(args.data / "dev.jsonl") if (args.data / "dev.jsonl").is_file() else []
    print(f"{len(train_set)} headerless training examples, {len(dev_set)} dev", flush=True)
    model = train(train_set, args.epochs, args.seed)
    averaged = model.averaged()
    final = Perceptron.of(averaged)
    print(f"unit accuracy (averaged weights): train {accuracy(final, train_set):.4f}, "
          f"dev {accuracy(final, dev_set):.4f}")
    averaged["trained_on"] = {"data": _shown(args.data), "examples": len(train_set), "epochs": args.epochs,
                              "seed": args.seed}
    args.out.write_text(json.dumps(averaged, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
