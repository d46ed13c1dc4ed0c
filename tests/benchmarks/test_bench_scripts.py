"""The throughput scripts' own logic on tiny inputs: argument parsing, the measuring loops (with the
rules backend standing in for an LLM), corpus sharding, summaries, tables and plots. No timing is
asserted and no LLM engine starts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import bench_adversarial, bench_corpus, bench_deid, bench_llm, bench_sections, machine, make_corpus
from service.records import InputRecord
from service.sections.rules_backend import RulesBackend
from service.sections.task import SectionTask


def test_batch_sizes_are_parsed_sorted_and_positive() -> None:
    assert bench_llm.parse_batch_sizes("8,1, 2,8") == [1, 2, 8]
    assert bench_deid.parse_batch_sizes("4") == [4]
    with pytest.raises(ValueError):
        bench_llm.parse_batch_sizes("0,2")


def test_llm_points_count_calls_fallbacks_and_tokens_per_mode_and_batch() -> None:
    texts = [str(r["text"]) for r in bench_llm.headerless_reports(13, seed=1)]
    assert len(texts) == 13 and all("IMPRESSION" not in t for t in texts)
    backend = RulesBackend()
    points = bench_llm.run(backend, texts[:12], [1, 4], ["spans", "text"], reports_per_point=2, warm_text=texts[12])
    assert [(p["mode"], p["batch"], p["reports"]) for p in points] == [
        ("spans", 1, 2), ("spans", 4, 4), ("text", 1, 2), ("text", 4, 4)]
    for p in points:
        assert p["llm_calls_per_report"] >= 1.0 and p["reports_per_s"] > 0
        assert p["retries"] + p["fallbacks"] + p["backend_errors"] >= 0


def test_llm_points_need_enough_reports() -> None:
    assert bench_llm.reports_needed([1, 4, 64], ["spans", "text"], 16) == 2 * (16 + 16 + 64) + 1
    with pytest.raises(ValueError):
        bench_llm.run(RulesBackend(), ["x."] * 3, [4], ["spans"], reports_per_point=1, warm_text="x.")


def test_one_llm_point_measures_one_batch_per_call_with_the_rules_backend() -> None:
    texts = [str(r["text"]) for r in bench_llm.headerless_reports(4, seed=2)]
    point = bench_llm.measure_point(RulesBackend(), SectionTask(mode="spans"), texts, batch=2)
    assert point["reports"] == 4 and point["llm_calls_per_report"] == 1.0 and point["fallbacks"] == 0
    assert "| spans | 2 | 4 |" in bench_llm.markdown([point])


def test_plots_are_written_as_png(tmp_path: Path) -> None:
    llm_points = [{"mode": m, "batch": b, "reports_per_s": 0.5 * b, "output_tokens_per_s": 20.0 * b,
                   "prompt_tokens_per_s": 200.0 * b} for m in ("spans", "text") for b in (1, 2, 4)]
    deid_points = [{"series": s, "batch": b, "reports_per_s": 100.0 + b} for s in ("deid", "pipeline")
                   for b in (1, 16)]
    for path in (bench_llm.plot(llm_points, tmp_path / "llm.png", "t"),
                 bench_deid.plot(deid_points, tmp_path / "deid.png", "t")):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_deid_measure_counts_reports_and_entities() -> None:
    records = [InputRecord(**r.record) for r in make_corpus.generate(5, seed=4)]  # type: ignore[arg-type]
    point = bench_deid.measure("deid", lambda batch: 2 * len(batch), records, 2)
    assert point["reports"] == 5 and point["entities_per_report"] == 2.0
    assert "| deid | 2 | 5 × 1 |" in bench_deid.markdown([point])
    best = bench_deid.best_of([{**point, "reports_per_s": r} for r in (3.0, 9.0, 5.0)])
    assert (best["reports_per_s"], best["reports_per_s_median"], best["rounds"]) == (9.0, 5.0, 3)


def test_corpus_batches_are_shared_between_workers_without_overlap(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(f'{{"id": "{i}"}}\n' for i in range(10)), encoding="utf-8")
    shards = [[line for batch in bench_corpus._batches(corpus, None, 3, w, 2) for line in batch] for w in (0, 1)]
    ids = sorted(int(json.loads(line)["id"]) for shard in shards for line in shard)
    assert ids == list(range(10)) and len(shards[0]) == 6
    limited = [line for batch in bench_corpus._batches(corpus, 4, 3, 0, 1) for line in batch]
    assert len(limited) == 4


def test_the_rules_route_runs_end_to_end_on_a_tiny_corpus_and_marks_extrapolations(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    make_corpus.write(make_corpus.generate(40, seed=5), corpus)
    options = {"corpus": str(corpus), "route": "rules", "backend": None, "mode": "spans", "model": "smollm2-135m",
               "workers": 1, "batch": 16, "limit": 30, "corpus_size": 40}
    figures = bench_corpus.run(options)
    assert figures["reports"] == 30 and figures["invalid"] == 0 and figures["llm_share"] == 0.0
    assert figures["backend"] is None and "EXTRAPOLATED" in figures["extrapolation_note"]
    assert 0 < figures["heuristic_share"] < 1


def test_the_stamp_names_machine_date_command_and_load() -> None:
    stamp = machine.stamp(1, [0.1, 0.1, 0.1])
    assert stamp["machine"]["cores"] and stamp["date"][:2] == "20" and "python" in stamp["command"].lower()
    assert isinstance(stamp["under_load"], bool)
    assert machine.stamp(1, [5.0, 5.0, 5.0])["under_load"] is True


def test_the_sections_speed_script_skips_without_data_and_rejects_unknown_layouts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_sections.main(["--data", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("skipped:")
    (tmp_path / "iu_xray").mkdir()
    report = {"id": "R1", "indication": "Cough.", "comparison": "", "findings": "Clear.", "impression": "Normal."}
    (tmp_path / "iu_xray" / "reports.jsonl").write_text(json.dumps(report) + "\n", encoding="utf-8")
    assert bench_sections.rate(["FINDINGS: Clear.\nIMPRESSION: Normal."], rounds=1) > 0
    with pytest.raises(SystemExit):
        bench_sections.main(["--data", str(tmp_path), "--layouts", "nope", "--rounds", "1"])
    assert bench_sections.main(["--data", str(tmp_path), "--layouts", "classic", "--rounds", "1"]) == 0


def test_the_adversarial_benchmark_times_every_shape_it_is_given_and_tabulates_the_worst() -> None:
    sizes = [500, 1000]
    rows = bench_adversarial.measure(sizes, ["many dates", "emails"], repeats=2)
    assert [(r["shape"], r["chars"]) for r in rows] == [
        ("many dates", 500), ("many dates", 1000), ("emails", 500), ("emails", 1000),
    ]
    assert all(r["ok"] and float(r["seconds"]) >= 0 for r in rows)  # type: ignore[arg-type]
    table = bench_adversarial.table(rows, sizes)
    assert table.splitlines()[0] == "| shape | 0.5 K | 1 K | worst s per 100 KB |"
    assert len(table.splitlines()) == 4
    many = bench_adversarial.SHAPES["many dates"](100_000).split()
    assert len(set(many)) == len(many)  # every date another: a cache of shifted dates cannot help
