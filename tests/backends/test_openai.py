"""The openai backend against a real OpenAI-compatible HTTP server (our stub) and scripted transports."""

from __future__ import annotations

import json

import httpx
import pytest

from service.backends import CompletionRequest, OpenAIBackend, OpenAISettings
from service.backends.stub_server import request_of, start
from service.errors import BackendError, ConfigError
from service.sections.router import SectionRouter
from service.sections.task import SectionTask

REPORTS = [
    "EXAM: CHEST PA AND LATERAL\nINDICATION: Cough.\nCOMPARISON: None.\nFINDINGS: Lungs are clear.\n"
    "IMPRESSION: Normal chest.",
    "HISTORY: Fever. FINDINGS: Patchy right basilar opacity. IMPRESSION: Pneumonia.",
]


@pytest.fixture(scope="module")
def server_url():
    server, url = start()
    yield url
    server.shutdown()


@pytest.mark.parametrize("mode", ["spans", "text"])
def test_sections_through_a_real_http_server(server_url: str, mode: str) -> None:
    backend = OpenAIBackend(OpenAISettings(base_url=server_url, model="radprep-stub", api_key="k", send_document=True))
    router = SectionRouter("llm", backend, SectionTask(mode=mode))  # type: ignore[arg-type]
    (first, second), stats = router.split_batch(REPORTS)
    assert first.source == second.source == "llm"
    assert first.result.sections == {
        "indication": "Cough.", "comparison": "None.", "findings": "Lungs are clear.", "impression": "Normal chest.",
    }
    assert second.result.sections["impression"] == "Pneumonia."
    assert backend.usage.calls == 2 and backend.usage.output_tokens > 0
    assert stats.llm_calls == 2 and stats.fallbacks == 0


@pytest.mark.parametrize("mode", ["spans", "text"])
def test_the_stub_takes_the_report_from_its_field_not_from_the_prompt(mode: str) -> None:
    request = SectionTask(mode=mode).request(REPORTS[1])  # type: ignore[arg-type]
    body = {"messages": [{"role": "user", "content": "Report: something else entirely"}],
            "max_tokens": request.max_tokens, "radprep_document": request.document,
            "response_format": {"json_schema": {"schema": request.constraints.schema}}}
    recovered = request_of(body)
    assert recovered is not None and (recovered.document, recovered.constraints, recovered.max_tokens) == (
        request.document, request.constraints, request.max_tokens)
    assert request_of({k: v for k, v in body.items() if k != "radprep_document"}) is None


def test_without_send_document_the_stub_refuses_and_the_report_is_not_sent(server_url: str) -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"choices": [{"message": {"content": "{}"}}]})

    OpenAIBackend(OpenAISettings(), transport=httpx.MockTransport(handler)).complete([_request()])
    assert "radprep_document" not in seen[0]
    backend = OpenAIBackend(OpenAISettings(base_url=server_url, retries=0))
    with pytest.raises(BackendError, match="HTTP 400"):
        backend.complete([_request()])


def _request() -> CompletionRequest:
    return SectionTask().request(REPORTS[0])


def _ok(content: str) -> httpx.Response:
    return httpx.Response(200, json={"choices": [{"message": {"content": content}}],
                                     "usage": {"prompt_tokens": 100, "completion_tokens": 12,
                                               "prompt_tokens_details": {"cached_tokens": 64}}})


def test_request_body_is_strict_structured_outputs_and_usage_is_counted() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        assert request.headers["Authorization"] == "Bearer sk-test"
        return _ok('{"indication": [], "comparison": [], "findings": [], "impression": []}')

    backend = OpenAIBackend(OpenAISettings(api_key="sk-test"), transport=httpx.MockTransport(handler))
    assert backend.complete([_request()]) == ['{"indication": [], "comparison": [], "findings": [], "impression": []}']
    response_format = seen[0]["response_format"]
    assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["additionalProperties"] is False
    assert seen[0]["messages"][0]["role"] == "system"
    usage = backend.usage
    assert (usage.prompt_tokens, usage.output_tokens, usage.cached_prompt_tokens) == (100, 12, 64)


def test_rate_limits_are_retried_then_succeed() -> None:
    answers = iter([httpx.Response(429), httpx.Response(503), _ok("{}")])
    backend = OpenAIBackend(OpenAISettings(retries=2), transport=httpx.MockTransport(lambda r: next(answers)))
    backend_sleep = pytest.MonkeyPatch()
    backend_sleep.setattr("service.backends.openai.time.sleep", lambda s: None)
    try:
        assert backend.complete([_request()]) == ["{}"]
    finally:
        backend_sleep.undo()


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(400, json={"error": {"message": "bad schema: Smith"}}), "HTTP 400"),
        (httpx.Response(200, json={"nope": 1}), "malformed body"),
        (httpx.Response(200, json={"choices": [{"message": {"content": None, "refusal": "no"}}]}), "no content"),
    ],
)
def test_errors_become_backend_errors_without_body_text(response: httpx.Response, message: str) -> None:
    backend = OpenAIBackend(OpenAISettings(retries=0), transport=httpx.MockTransport(lambda r: response))
    with pytest.raises(BackendError, match=message) as info:
        backend.complete([_request()])
    assert "Smith" not in str(info.value)


def test_an_unreachable_endpoint_is_a_backend_error_and_the_router_falls_back() -> None:
    backend = OpenAIBackend(OpenAISettings(base_url="http://127.0.0.1:9/v1", retries=0, timeout_s=2))
    router = SectionRouter("llm", backend)
    (out,), stats = router.split_batch(REPORTS[:1])
    assert out.source == "fallback" and out.result.sections["impression"] == "Normal chest."
    assert stats.backend_errors == 1 and "backend_error" in out.warnings[0]


def _models(*ids: str) -> httpx.Response:
    return httpx.Response(200, json={"object": "list", "data": [{"id": i, "object": "model"} for i in ids]})


@pytest.mark.parametrize(("answer", "message"), [
    (httpx.ConnectError("refused"), "is unreachable (ConnectError): check RADPREP_OPENAI__BASE_URL"),
    (httpx.Response(401, json={"error": {"message": "bad key sk-secret-1"}}),
     "refused the key (HTTP 401): check RADPREP_OPENAI__API_KEY"),
    (httpx.Response(500), "answered HTTP 500 to GET /models"),
    (httpx.Response(200, text="<html>"), "not OpenAI-compatible"),
    (_models("llama-3", "qwen2.5"), "does not offer model 'gpt-4o-2024-08-06' (RADPREP_OPENAI__MODEL); "
                                    "it offers: llama-3, qwen2.5"),
])
def test_the_start_up_check_names_the_setting_to_fix_and_no_secret(answer: object, message: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/models"
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    settings = OpenAISettings(base_url="http://user:pa55word@llm.internal:8000/v1/", api_key="sk-secret-1")
    backend = OpenAIBackend(settings, transport=httpx.MockTransport(handler))
    with pytest.raises(ConfigError) as info:
        backend.check()
    assert message in str(info.value) and "http://llm.internal:8000/v1" in str(info.value)
    for secret in ("pa55word", "sk-secret-1", "user"):
        assert secret not in str(info.value)


def test_the_start_up_check_passes_when_the_model_is_offered_or_not_listed(caplog: pytest.LogCaptureFixture) -> None:
    offered = OpenAIBackend(OpenAISettings(base_url="http://h/v1", model="m1"),
                            transport=httpx.MockTransport(lambda r: _models("m0", "m1")))
    offered.check()
    unlisted = OpenAIBackend(OpenAISettings(base_url="http://h/v1", model="m1"),
                             transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    with caplog.at_level("WARNING", logger="radprep"):
        unlisted.check()
    assert "lists no models" in caplog.text and "model m1 not checked" in caplog.text


def test_the_start_up_check_against_the_stub_server(server_url: str) -> None:
    OpenAIBackend(OpenAISettings(base_url=server_url, model="radprep-stub")).check()
    with pytest.raises(ConfigError, match="does not offer model 'gpt-4o'"):
        OpenAIBackend(OpenAISettings(base_url=server_url, model="gpt-4o")).check()
