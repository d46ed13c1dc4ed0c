"""benchmarks/eval_sections.py: layouts, token-F1, routing through a backend, cost counts, the CLI
(hand-written reports in a temporary data folder; no shared data and no LLM needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import eval_sections as ev
from service.backends import FakeBackend
from service.backends.stub_server import start
from service.sections.rules_backend import RulesBackend
from service.sections.task import SectionTask

REPORTS = [
    {"id": "R1", "exam_title": "Chest, two views", "indication": "Cough for two weeks.", "comparison": "None.",
     "findings": "The lungs are clear. No pleural effusion.", "impression": "No acute disease."},
    {"id": "R2", "exam_title": "", "indication": "Shortness of breath.", "comparison": "",
     "findings": "Heart size is normal.", "impression": "Normal chest."},
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "iu_xray").mkdir()
    lines = "".join(json.dumps(r) + "\n" for r in REPORTS)
    (tmp_path / "iu_xray" / "reports.jsonl").write_text(lines, encoding="utf-8")
    return tmp_path


def test_token_f1_counts_shared_lower_cased_words() -> None:
    assert ev.token_f1("No acute disease.", "no ACUTE disease") == 1.0
    assert ev.token_f1(None, "") == 1.0 and ev.token_f1("Normal.", None) == 0.0
    assert ev.token_f1("a b c d", "a b") == pytest.approx(2 / 3)


def test_render_leaves_absent_sections_out_and_upper_cases_gold_for_all_caps() -> None:
    texts, golds = ev.render(REPORTS, "classic")
    assert "COMPARISON" not in texts[1] and texts[1].startswith("INDICATION:\nShortness of breath.")
    _, caps = ev.render(REPORTS, "all_caps")
    assert caps[0]["impression"] == "NO ACUTE DISEASE."


def test_the_rules_route_scores_headered_layouts_and_calls_no_llm() -> None:
    results, costs = ev.evaluate(REPORTS, layouts=["classic", "headerless"])
    assert results["classic"]["mean"] == 1.0 and results["headerless"]["confident"] == 0.0
    assert results["overall_headered"]["mean"] == 1.0
    assert costs["total"]["reports"] == 4 and costs["total"]["llm_calls"] == 0


def test_the_rules_backend_in_text_mode_scores_like_the_rules_route() -> None:
    rules, _ = ev.evaluate(REPORTS)
    routed, costs = ev.evaluate(REPORTS, route="llm", backend=RulesBackend(), task=SectionTask(mode="text"))
    assert {k: v["mean"] for k, v in routed.items()} == {k: v["mean"] for k, v in rules.items()}
    assert costs["total"]["llm_calls_per_report"] == 1.0 and costs["total"]["fallbacks"] == 0


def test_rejected_answers_retries_fallbacks_and_tokens_are_counted_per_layout() -> None:
    good = json.dumps({"indication": [1, 1], "comparison": [], "findings": [2, 2], "impression": [3, 3]})
    fake = FakeBackend(["not json", "not json", "[]", good])
    # batch 1: R1 is rejected twice and falls back to the rules; R2 is answered after one retry.
    results, costs = ev.evaluate(REPORTS, route="llm", backend=fake, layouts=["headerless"], batch=1)
    row = costs["headerless"]
    assert row["invalid"] == {"not_json": 2, "wrong_keys": 1}
    assert (row["llm_calls"], row["retries"], row["fallbacks"]) == (4, 2, 1)
    assert (row["llm_share"], row["fallback_share"]) == (0.5, 0.5)
    assert row["output_tokens_per_call"] == fake.usage.output_tokens / 4
    assert costs["total"]["llm_calls_per_report"] == 2.0 and "overall_headered" not in results


def test_cli_runs_the_openai_path_against_the_stub_server(data_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPREP_OPENAI__SEND_DOCUMENT", "true")  # the stub reads the report from its field
    server, url = start()
    try:
        out = tmp_path / "out.json"
        code = ev.main(["--data", str(data_dir), "--route", "llm", "--backend", "openai", "--openai-base-url", url,
                        "--layouts", "classic,inline", "--json", str(out)])
    finally:
        server.shutdown()
    assert code == 0 and "LLM cost" in capsys.readouterr().out
    payload = json.loads(out.read_text())
    assert payload["config"]["layouts"] == ["classic", "inline"] and payload["layouts"]["classic"]["mean"] == 1.0
    total = payload["costs"]["total"]
    assert total["llm_calls"] == 4 and total["prompt_tokens_per_call"] > 0 and total["fallbacks"] == 0


@pytest.mark.parametrize("argv, message", [
    (["--layouts", "classic,nope"], "unknown layout(s) nope"),
    (["--route", "llm"], "--backend is needed"),
    (["--backend", "rules"], "--backend is needed"),
])
def test_cli_rejects_bad_options(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        ev.main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_cli_without_data_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ev.main(["--data", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("skipped:")


def test_cli_reports_a_backend_that_cannot_answer(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ev.main(["--data", str(data_dir), "--route", "llm", "--backend", "fake"]) == 1
    assert capsys.readouterr().err == "error: fake backend: no reply queued\n"


def test_new_layouts_render_every_section_verbatim_and_score_on_the_rules_route() -> None:
    for layout in ("flat_comma", "flat_space", "flat_space_any_case", "inline_after_words", "vista",
                   "sentence_labels", "sentence_partial"):
        texts, golds = ev.render(REPORTS, layout)
        for text, gold in zip(texts, golds, strict=True):
            assert all(word in text for value in gold.values() for word in value.rstrip(".").split())
    flat, _ = ev.render(REPORTS, "flat_comma")
    assert "\n" not in flat[0] and "," in flat[0]
    vista, _ = ev.render(REPORTS, "vista")
    assert "Report Status:" in vista[0] and "Primary Interpreting Staff:" in vista[0]
    results, _ = ev.evaluate(REPORTS, layouts=["vista", "flat_comma", "inline_after_words", "sentence_labels"])
    assert all(results[name]["mean"] == 1.0 for name in ("vista", "flat_comma", "inline_after_words"))


def test_calibration_bands_hold_every_report_once() -> None:
    results, _ = ev.evaluate(REPORTS, layouts=["classic", "headerless"])
    for name in ("classic", "headerless"):
        assert sum(results[name][f"share {label}"] for *_, label in ev.BANDS) == pytest.approx(1.0)
    assert results["classic"]["share >= 0.9"] == 1.0 and results["classic"]["good >= 0.9"] == 1.0
    assert results["headerless"]["share 0.4-0.7"] == 1.0
    table = ev.calibration_markdown(results)
    assert "| classic | 1.000 / 1.0000 / 1.0000 |" in table and "overall_headered" not in table


def test_mtsamples_notes_with_other_headers_are_skipped_and_line_breaks_restored(tmp_path: Path) -> None:
    notes = [
        {"id": "mts-1", "text": "HISTORY OF PRESENT ILLNESS: ,Cough for a week.,FINDINGS: ,Clear lungs.,"
                                "IMPRESSION: ,Normal."},
        {"id": "mts-2", "text": "HISTORY: ,Cough.,PLAN: ,Rest."},
    ]
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps(n) + "\n" for n in notes), encoding="utf-8")
    cases = ev.mtsamples_cases(path)
    flat, golds, ids = cases["mtsamples_flat"]
    assert ids == ["mts-1"] and golds[0]["findings"] == "Clear lungs." and golds[0]["comparison"] == ""
    lines = cases["mtsamples_lines"][0][0]
    assert lines.splitlines()[:2] == ["HISTORY OF PRESENT ILLNESS:", "Cough for a week."]
    results, _ = ev.evaluate(REPORTS, layouts=[], extra=cases)
    assert results["mtsamples_flat"]["mean"] == 1.0 and results["mtsamples_lines"]["mean"] == 1.0
