"""The training data generator: one gold label per inference unit, from our text and washu_hl7 only."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))

import pytest  # noqa: E402
import section_data  # noqa: E402

from service.sections.task import SectionTask, labels_answer, tags_answer  # noqa: E402
from service.sections.units import split_units  # noqa: E402


def test_examples_are_seeded_and_labelled_unit_by_unit() -> None:
    rows = section_data.examples(120, seed=3)
    assert rows == section_data.examples(120, seed=3) and rows != section_data.examples(120, seed=4)
    layouts = Counter(r["layout"].split("+")[0] for r in rows)
    assert set(layouts) == set(section_data.LAYOUTS) and layouts["headerless"] >= 15
    task, tags = SectionTask(mode="labels"), SectionTask(mode="tags")
    for row in rows:
        assert len(row["labels"]) == len(split_units(row["text"])) and set(row["labels"]) <= set("ICFMO")
        task.parse(row["text"], labels_answer(row["labels"]))  # every gold labelling is a valid answer
        tags.parse(row["text"], tags_answer(row["labels"]))


def test_the_gold_follows_the_pieces_not_the_headers() -> None:
    pieces = [("EXAM: CHEST", None), ("\n", None), ("Cough.", "indication"), ("\n", None),
              ("FINDINGS:", "findings"), (" ", None), ("Lungs clear. No effusion.", "findings"), ("\n", None),
              ("Normal chest.", "impression"), ("\n", None), ("Signed: Dr. Q", None)]
    text, labels = section_data.unit_labels(pieces)
    assert labels == "OIFFMO" and text.startswith("EXAM: CHEST\nCough.")
    flat, flat_labels = section_data.unit_labels(section_data.transform(pieces, "flat_comma", random.Random(0)))
    assert "\n" not in flat and len(flat_labels) == len(split_units(flat))


def test_washu_gold_comes_from_its_headers_and_stops_at_the_sign_off() -> None:
    golds = section_data.washu_sections()
    if not golds:
        pytest.skip("washu_hl7 is not in ../shared/data on this machine")
    assert len(golds) > 700
    assert all(g["findings"] or g["impression"] for g in golds)
    assert not any("Dictated By" in g["impression"] or "Requested By" in g["impression"] for g in golds)
