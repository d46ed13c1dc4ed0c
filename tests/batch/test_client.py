"""`--server`: the HTTP engine against a fake radprep service that keeps the contract of `service.api`."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import httpx
import pytest

from service.batch.client import HttpEngine
from service.batch.local import LocalEngine
from service.batch.runner import run_batches
from service.batch.sink import ErrorSink, open_sink
from service.errors import BackendError, RecordError
from service.outcomes import Failure
from service.pipeline import Pipeline
from service.records import InputRecord, read_records, validate
from tests.batch.conftest import make_records, serving_over_http, write_jsonl


class FakeService:
    """POST /v1/reports/batch and GET /readyz as the service answers them, with scripted trouble."""

    def __init__(self, pipeline: Pipeline, trouble: list[httpx.Response] | None = None, key: str | None = None,
                 shuffle: bool = False, max_text_chars: int = 100_000) -> None:
        self.pipeline = pipeline
        self.max_text_chars = max_text_chars
        self.trouble = list(trouble or [])
        self.key = key
        self.shuffle = random.Random(3) if shuffle else None
        self.batches: list[list[str]] = []
        self.in_flight = self.most_in_flight = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.key and request.headers.get("Authorization") != f"Bearer {self.key}":
            return error(401, "unauthorized", "missing or bad API key")
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"status": "ready"})
        if self.trouble:
            return self.trouble.pop(0)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.shuffle:  # answers come back in another order than asked
                await asyncio.sleep(self.shuffle.random() / 50)
            records = json.loads(request.content)["records"]
            self.batches.append([r["id"] for r in records])
            results: list[dict | InputRecord] = []
            for n, raw in enumerate(records):
                try:
                    results.append(validate(raw, f"records[{n}]", self.max_text_chars))
                except RecordError as exc:
                    results.append({"status": "error", "error": {
                        "code": "invalid_record", "message": f"field '{exc.field}': {exc.problem}",
                        "field": exc.field, "record_id": exc.record_id, "where": f"records[{n}]"}})
            reports = iter(self.pipeline.process([r for r in results if isinstance(r, InputRecord)]).outcomes)
            answer = [{"status": "ok", "report": next(reports)} if isinstance(r, InputRecord) else r for r in results]
            return httpx.Response(200, json={"results": answer})
        finally:
            self.in_flight -= 1


def error(status: int, code: str, message: str, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return httpx.Response(status, headers=headers, json={"error": {
        "code": code, "message": message, "field": None, "record_id": None, "request_id": "req-1"}})


def engine(service, concurrency: int = 1, **kwargs) -> tuple[HttpEngine, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    transport = service if isinstance(service, httpx.AsyncBaseTransport) else httpx.MockTransport(service)
    return HttpEngine("http://radprep.test", concurrency, transport=transport, sleep=sleep, **kwargs), slept


def records(count: int) -> list[InputRecord]:
    return [validate(r, "x", 100_000) for r in make_records(count)]  # type: ignore[misc]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("client") / "in.jsonl", make_records(40, seed=11, bad_every=13))


def test_the_same_bytes_whatever_the_concurrency_and_as_in_process(corpus: Path, pipeline: Pipeline,
                                                                    tmp_path: Path) -> None:
    outputs = {}
    for name, eng in [("local", LocalEngine(pipeline)),
                      ("c1", engine(FakeService(pipeline, shuffle=True), 1)[0]),
                      ("c4", engine(service := FakeService(pipeline, shuffle=True), 4)[0])]:
        out = tmp_path / f"{name}.jsonl"
        summary = run_batches(read_records(corpus, 100_000), eng, open_sink(out, True),
                              ErrorSink(tmp_path / f"{name}.errors.jsonl", True), 8, progress=False)
        assert (summary.reports, summary.errors) == (37, 3)
        outputs[name] = (out.read_bytes(), (tmp_path / f"{name}.errors.jsonl").read_bytes())
    assert outputs["c1"] == outputs["c4"] == outputs["local"]
    assert service.most_in_flight == 4
    assert service.batches[0] == [f"r{n:05d}" for n in range(8)]


def test_busy_and_unreachable_are_retried_honouring_retry_after(pipeline: Pipeline) -> None:
    trouble = [error(429, "overloaded", "too many reports waiting", "3"), error(503, "not_ready", "loading", "1"),
               error(502, "bad_gateway", "proxy")]
    service = FakeService(pipeline, trouble)
    calls = 0

    async def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 2:  # after /readyz, the first POST meets a dropped connection
            raise httpx.ConnectError("connection refused", request=request)
        return await service(request)

    http, slept = engine(flaky, backoff_s=0.5)
    batch = records(3)
    (outcomes,) = list(http.run(iter([batch])))
    assert [o["id"] for o in outcomes] == [r.id for r in batch]  # type: ignore[index]
    assert slept == [0.5, 3.0, 1.0, 4.0]  # backoff, Retry-After, Retry-After, backoff (4th try)


def test_a_batch_that_keeps_failing_on_the_server_becomes_record_errors(pipeline: Pipeline) -> None:
    service = FakeService(pipeline, [error(500, "internal", "boom")] * 3)
    http, _ = engine(service, attempts=3)
    (outcomes,) = list(http.run(iter([records(2)])))
    assert outcomes == [Failure("r00000", "server error: HTTP 500 internal: boom", code="server_error"),
                        Failure("r00001", "server error: HTTP 500 internal: boom", code="server_error")]


def test_refusals_stop_the_run_with_the_servers_reason(pipeline: Pipeline, monkeypatch) -> None:
    http, _ = engine(FakeService(pipeline, key="right"), api_key="wrong")
    with pytest.raises(BackendError, match="not ready: HTTP 401 unauthorized"):
        list(http.run(iter([records(1)])))
    http, _ = engine(FakeService(pipeline, key="right"), api_key="right")
    assert len(next(http.run(iter([records(1)])))) == 1
    http, _ = engine(FakeService(pipeline, [error(413, "too_large", "body over 1 MiB")]))
    with pytest.raises(BackendError, match="lower --batch-size"):
        list(http.run(iter([records(2)])))

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    http, _ = engine(down)
    with pytest.raises(BackendError, match="cannot reach the radprep service"):
        list(http.run(iter([records(1)])))


def test_a_service_still_loading_is_waited_for(pipeline: Pipeline) -> None:
    service = FakeService(pipeline)
    answers = [error(503, "not_ready", "models are loading", "2"), error(503, "not_ready", "loading", "2")]

    async def loading(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/readyz" and answers:
            return answers.pop(0)
        return await service(request)

    http, slept = engine(loading)
    assert len(next(http.run(iter([records(2)])))) == 2
    assert slept == [2.0, 2.0]


def test_per_record_errors_of_the_service_go_to_the_errors_file(pipeline: Pipeline) -> None:
    long = InputRecord("long-1", "FINDINGS: " + "clear " * 20)
    http, _ = engine(FakeService(pipeline, max_text_chars=100))
    (outcomes,) = list(http.run(iter([[records(3)[2], long]])))
    assert isinstance(outcomes[1], Failure) and outcomes[1].id == "long-1" and outcomes[1].field == "text"
    assert "over the limit" in outcomes[1].error and outcomes[0]["id"] == "r00002"  # type: ignore[index]


def test_against_the_real_service_over_http(corpus: Path, pipeline: Pipeline, rules_settings, tmp_path: Path) -> None:
    """`service.api` served by uvicorn on a loopback port: the same bytes as in-process."""
    from service.api.app import create_app

    with serving_over_http(create_app(rules_settings, pipeline)) as url:
        outputs = []
        for name, eng in [("local", LocalEngine(pipeline)), ("http", HttpEngine(url, 3))]:
            out = tmp_path / f"{name}.csv"
            run_batches(read_records(corpus, 100_000), eng, open_sink(out, True),
                        ErrorSink(tmp_path / f"{name}.errors.jsonl", True), 8, progress=False)
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1]
