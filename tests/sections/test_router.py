import json

from service.backends import FakeBackend
from service.sections.router import SectionRouter
from service.sections.rules_backend import RulesBackend

HEADERED = "INDICATION: Cough.\nFINDINGS: Lungs clear.\nIMPRESSION: Normal."
HEADERLESS = "Cough for two weeks. The lungs are clear. No acute disease."
# units of HEADERLESS: [1] Cough for two weeks. [2] The lungs are clear. [3] No acute disease.
GOOD = json.dumps({"indication": [1, 1], "comparison": [], "findings": [2, 2], "impression": [3, 3]})
BAD = json.dumps({"indication": [1, 2], "comparison": [], "findings": [2, 2], "impression": [3, 3]})


def test_auto_keeps_confident_rules_and_sends_the_rest_to_the_llm() -> None:
    fake = FakeBackend([GOOD])
    router = SectionRouter("auto", fake)
    (headered, headerless), stats = router.split_batch([HEADERED, HEADERLESS])
    assert headered.source == "rules" and headered.result.sections["findings"] == "Lungs clear."
    assert headerless.source == "llm" and headerless.result.sections == {
        "indication": "Cough for two weeks.", "comparison": None, "findings": "The lungs are clear.",
        "impression": "No acute disease.",
    }
    assert [r.document for r in fake.requests] == [HEADERLESS]
    assert stats.as_dict()["llm_calls_per_report"] == 0.5


def test_an_invalid_answer_is_retried_once() -> None:
    router = SectionRouter("llm", FakeBackend([BAD, GOOD]))
    (out,), stats = router.split_batch([HEADERLESS])
    assert out.source == "llm" and stats.retries == 1 and stats.invalid["overlap"] == 1
    assert stats.llm_calls == 2 and stats.fallbacks == 0


def test_two_invalid_answers_fall_back_to_the_rules_with_a_warning() -> None:
    router = SectionRouter("llm", FakeBackend([BAD, "not json"]))
    (out,), stats = router.split_batch([HEADERED])
    assert out.source == "fallback" and out.result.sections["impression"] == "Normal."
    assert out.warnings == ("sections: LLM answer rejected (not_json); rules result used",)
    assert stats.fallbacks == 1 and dict(stats.invalid) == {"overlap": 1, "not_json": 1}


def test_a_backend_error_falls_back_for_the_batch() -> None:
    router = SectionRouter("llm", FakeBackend([]))  # no reply queued: the fake raises BackendError
    outs, stats = router.split_batch([HEADERED, HEADERLESS])
    assert [o.source for o in outs] == ["fallback", "fallback"] and stats.backend_errors == 1


def test_rules_route_never_calls_a_backend_and_warns_on_low_confidence() -> None:
    router = SectionRouter("rules")
    (headered, headerless), stats = router.split_batch([HEADERED, HEADERLESS])
    assert headered.warnings == () and "no_headers" in headerless.warnings[0]
    assert stats.llm_calls == 0


def test_the_rules_backend_answers_like_the_rules_in_every_mode() -> None:
    from service.sections import RulesSectioner
    from service.sections.task import SectionTask

    for mode in ("tags", "labels", "spans", "text"):
        router = SectionRouter("llm", RulesBackend(), SectionTask(mode=mode))  # type: ignore[arg-type]
        (out,), _ = router.split_batch([HEADERED])
        assert out.source == "llm" and out.result.sections == RulesSectioner().split(HEADERED).sections


def test_a_failed_check_sends_auto_to_the_llm_and_warns_on_the_rules_route() -> None:
    run_on = "Reason: cough. The lungs are clear. The heart size is normal. IMPRESSION: Normal."
    (ruled,), _ = SectionRouter("rules").split_batch([run_on])
    assert ruled.source == "rules"
    assert ruled.result.sections["findings"] == "The lungs are clear. The heart size is normal."
    assert ruled.warnings and "findings_in_indication" in ruled.warnings[0] and "lungs" not in ruled.warnings[0]
    fake = FakeBackend([json.dumps({"indication": [1, 1], "comparison": [], "findings": [2, 3], "impression": [4, 4]})])
    (auto,), _ = SectionRouter("auto", fake).split_batch([run_on])
    assert auto.source == "llm" and [r.document for r in fake.requests] == [run_on]
