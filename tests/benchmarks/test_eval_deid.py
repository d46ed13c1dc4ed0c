"""The real-text scoring of benchmarks/eval_deid.py and our layout fixtures (no shared data needed)."""

import json
from pathlib import Path

from benchmarks import deid_corpora, deid_layouts, eval_deid
from service.deid.spans import EntityType, Span


def test_overredaction_counts_words_by_type_and_keeps_the_excused_apart() -> None:
    text = "Seen by Dr. Chang. The patella was intact. Given 40 mg of Medrol at Mercy Hospital on 03/04/2019."
    def span(word: str, kind: EntityType) -> Span:
        start = text.index(word)
        return Span(kind, start, start + len(word))
    detected = [[span("Chang", EntityType.PERSON), span("patella", EntityType.PERSON),
                 span("Mercy Hospital", EntityType.ORGANIZATION), span("03/04/2019", EntityType.DATE),
                 span("40", EntityType.ID)]]
    sc = deid_corpora.score_overredaction([text], detected)
    assert sc.changed == 1 and sc.words_changed == {("PERSON", "patella"): 1}  # "Chang" follows a title
    assert sc.after_title == 1
    assert sc.changed_any == 4  # Chang, patella, Mercy, Hospital
    assert (sc.numbers, sc.numbers_kept) == (1, 0)  # "40 mg" was touched
    assert sc.summary(5, with_text=True)["numbers_changed"] == [{"text": "40 mg", "count": 1}]


def test_washu_records_load_with_their_spans(tmp_path: Path) -> None:
    path = tmp_path / "reports.jsonl"
    text = "Dictated By: Jane Roe, M.D. on May 22 2026 01:22AM"
    spans = [{"start": 13, "end": 17, "type": "CLINICIAN_NAME", "text": "Jane"},
             {"start": 31, "end": 50, "type": "DATE", "text": "May 22 2026 01:22AM"}]
    path.write_text(json.dumps({"id": "w1", "text": text, "spans": spans, "source": "x"}) + "\n")
    (report,) = deid_corpora.load_washu(path, None)
    assert [text[g.start : g.end] for g in report.phi] == ["Jane", "May 22 2026 01:22AM"]


def test_layout_fixtures_are_deterministic_with_exact_gold() -> None:
    first, again = deid_layouts.generate(16, seed=1), deid_layouts.generate(16, seed=1)
    assert [r.text for r in first] == [r.text for r in again]
    assert {r.id.split("-")[0] for r in first} == {"vista", "hl7", "dict", "flat"}
    for report in first:
        assert all(report.text[g.start : g.end] == g.text for g in report.phi)


def test_eval_skips_cleanly_without_data(tmp_path: Path, capsys) -> None:
    assert eval_deid.main(["--data", str(tmp_path)]) == 0
    assert "skipped" in capsys.readouterr().out
