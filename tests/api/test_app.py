"""The HTTP service in process (httpx over ASGI): results, bad input, auth, overload, timeouts, metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from service.api.app import create_app
from service.api.runner import ProcessRunner
from service.pipeline import Pipeline
from service.records import InputRecord
from service.settings import Settings
from tests.api.conftest import PHI_MRN, PHI_NAME, PHI_PHONE, REPORT, AppFactory, serving

pytestmark = pytest.mark.anyio
PHI_VALUES = (PHI_NAME, "Quackenbush", "88123456", PHI_PHONE, "03/14/2021", "Lindqvist")


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "field", "record_id", "where", "request_id"}
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    if field is not None:
        assert error["field"] == field
    for value in PHI_VALUES:
        assert value not in response.text
    return error


async def test_one_report_is_the_cli_line(make_app: AppFactory, pipeline: Pipeline) -> None:
    metadata = {"PatientAge": "093Y", "StudyDate": "20210314"}
    record = {"id": "r1", "text": REPORT, "patient_id": "P-1", "metadata": metadata}
    async with serving(make_app()) as client:
        response = await client.post("/v1/reports", json=record)
    assert response.status_code == 200
    body = response.json()
    [expected] = pipeline.process([InputRecord("r1", REPORT, "P-1", metadata)]).outcomes
    assert body == expected
    assert body["sections"]["findings"].startswith("The lungs are clear.")
    assert body["metadata"]["PatientAge"] == "090Y"
    for value in PHI_VALUES:
        assert value not in response.text


async def test_batch_keeps_order_and_reports_bad_records_in_place(make_app: AppFactory) -> None:
    records = [{"id": f"b{i}", "text": f"FINDINGS: Nodule number {i}.\nIMPRESSION: Follow up."} for i in range(5)]
    records.insert(2, {"id": "bad-empty", "text": "  "})
    records.append({"id": 7, "text": "FINDINGS: x"})
    async with serving(make_app()) as client:
        response = await client.post("/v1/reports/batch", json={"records": records})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "error", "ok", "ok", "ok", "error"]
    assert [r["report"]["id"] for r in results if r["status"] == "ok"] == [f"b{i}" for i in range(5)]
    assert results[3]["report"]["sections"]["findings"] == "Nodule number 2."
    assert results[2]["error"] == {
        "code": "invalid_record", "message": "records[2] (id 'bad-empty'): field 'text': empty",
        "field": "text", "record_id": "bad-empty", "where": "records[2]",
        "request_id": response.headers["x-request-id"]}
    assert results[6]["error"]["field"] == "id" and results[6]["error"]["record_id"] is None


async def test_hostile_values_in_a_batch_fail_their_record_only(make_app: AppFactory) -> None:
    good = [f'{{"id": "b{i}", "text": "FINDINGS: Nodule number {i}.\\nIMPRESSION: Follow up."}}' for i in range(3)]
    hostile = [r'{"id": "\ud800", "text": "FINDINGS: x"}', r'{"id": "s", "text": "FINDINGS: \udc00"}',
               '{"id": "n", "text": "FINDINGS: x", "metadata": {"PatientAge": NaN}}',
               '{"id": "d", "text": "FINDINGS: x", "metadata": {"PatientAge": ' + "9" * 5000 + "}}"]
    body = '{"records": [' + ", ".join([good[0], *hostile[:2], good[1], *hostile[2:], good[2]]) + "]}"
    async with serving(make_app()) as client:
        response = await client.post("/v1/reports/batch", content=body.encode(),
                                     headers={"content-type": "application/json"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["ok", "error", "error", "ok", "error", "error", "ok"]
    assert [r["report"]["id"] for r in results if r["status"] == "ok"] == ["b0", "b1", "b2"]
    assert [(r["error"]["field"], r["error"]["record_id"]) for r in results if r["status"] == "error"] == [
        ("id", None), ("text", "s"), ("metadata.PatientAge", "n"), ("metadata.PatientAge", "d")]
    assert "9999" not in response.text


BAD_SINGLE = [
    pytest.param(b"", 400, "empty_body", None, id="empty-body"),
    pytest.param(b'{"id": "x", "text": ', 400, "invalid_json", None, id="invalid-json"),
    pytest.param(b"\xff\xfe\x00binary\x00\x01", 400, "invalid_encoding", None, id="binary-body"),
    pytest.param(json.dumps({"id": "x", "text": "a\x00b\x01c\x02"}).encode(), 422, "invalid_record", "text",
                 id="binary-text"),
    pytest.param(json.dumps({"id": "x", "text": ""}).encode(), 422, "invalid_record", "text", id="empty-text"),
    pytest.param(json.dumps({"id": "x", "text": " \n\t"}).encode(), 422, "invalid_record", "text", id="blank-text"),
    pytest.param(json.dumps({"id": 12, "text": "FINDINGS: x"}).encode(), 422, "invalid_record", "id", id="id-int"),
    pytest.param(json.dumps({"id": "x", "text": ["a"]}).encode(), 422, "invalid_record", "text", id="text-list"),
    pytest.param(json.dumps({"id": "x"}).encode(), 422, "invalid_record", "text", id="text-missing"),
    pytest.param(json.dumps({"id": "x", "text": "t", "metadata": "M"}).encode(), 422, "invalid_record", "metadata",
                 id="metadata-string"),
    pytest.param(json.dumps({"id": "x", "text": "t", "metadata": {"PatientName": "Q"}}).encode(), 422,
                 "invalid_record", "metadata.PatientName", id="metadata-unknown"),
    pytest.param(json.dumps({"id": "x", "text": "t", "mrn": "1"}).encode(), 422, "invalid_record", "mrn",
                 id="unknown-field"),
    pytest.param(b"[1, 2]", 422, "invalid_record", "<record>", id="array-body"),
    pytest.param(json.dumps({"id": "x", "text": "word " * 30_000}).encode(), 422, "invalid_record", "text",
                 id="text-over-char-limit"),
    pytest.param(json.dumps({"id": "x", "text": "A" * 2_000_000}).encode(), 413, "too_large", None, id="2MB"),
    pytest.param(rb'{"id": "\ud800", "text": "FINDINGS: x"}', 422, "invalid_record", "id", id="surrogate-id"),
    pytest.param(rb'{"id": "x", "text": "FINDINGS: x", "patient_id": "\udfff"}', 422, "invalid_record",
                 "patient_id", id="surrogate-patient-id"),
    pytest.param(b'{"id": "x", "text": "t", "metadata": {"PatientAge": NaN}}', 422, "invalid_record",
                 "metadata.PatientAge", id="nan"),
    pytest.param(b'{"id": "x", "text": "t", "metadata": {"PatientWeight": 1e999}}', 422, "invalid_record",
                 "metadata.PatientWeight", id="1e999"),
    pytest.param(b'{"id": "x", "text": "t", "metadata": {"PatientAge": ' + b"9" * 5000 + b"}}", 422,
                 "invalid_record", "metadata.PatientAge", id="5000-digit-int"),
    pytest.param(b'{"id": "x", "text": "t", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 422,
                 "invalid_json", None, id="nested-100k-deep"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), BAD_SINGLE)
async def test_bad_input_gets_a_clear_4xx(make_app: AppFactory, body: bytes, status: int, code: str,
                                          field: str | None) -> None:
    async with serving(make_app()) as client:
        response = await client.post("/v1/reports", content=body, headers={"content-type": "application/json"})
    error = assert_error(response, status, code, field)
    if code == "invalid_record" and b'"id": "x"' in body:
        assert error["record_id"] == "x"


BAD_BATCH = [
    pytest.param({"records": []}, "invalid_request", "records", id="empty-list"),
    pytest.param({"records": "x"}, "invalid_request", "records", id="not-a-list"),
    pytest.param({"items": []}, "invalid_request", "items", id="unknown-field"),
    pytest.param([{"id": "a", "text": "b"}], "invalid_request", None, id="array"),
    pytest.param({"records": [{"id": str(i), "text": "FINDINGS: x"} for i in range(5)]}, "too_many_records",
                 "records", id="over-max-batch"),
]


@pytest.mark.parametrize(("body", "code", "field"), BAD_BATCH)
async def test_bad_batch_bodies(make_app: AppFactory, body: object, code: str, field: str | None) -> None:
    async with serving(make_app(max_batch=4)) as client:
        response = await client.post("/v1/reports/batch", json=body)
    assert_error(response, 422, code, field)


async def test_other_errors_share_the_body(make_app: AppFactory) -> None:
    async with serving(make_app()) as client:
        assert_error(await client.post("/v1/reports", content=b"id=x", headers={"content-type": "text/plain"}),
                     415, "unsupported_media_type")
        assert_error(await client.get("/v1/nowhere"), 404, "not_found")
        assert_error(await client.delete("/v1/reports"), 405, "method_not_allowed")
        response = await client.get("/healthz", headers={"x-request-id": "trace-42"})
    assert response.json() == {"status": "ok"} and response.headers["x-request-id"] == "trace-42"


async def test_api_keys(make_app: AppFactory) -> None:
    record = {"id": "k", "text": "FINDINGS: Clear."}
    async with serving(make_app(keys="alpha-key, beta-key")) as client:
        missing = await client.post("/v1/reports", json=record)
        wrong = await client.post("/v1/reports", json=record, headers={"authorization": "Bearer nope"})
        bearer = await client.post("/v1/reports", json=record, headers={"authorization": "Bearer beta-key"})
        header = await client.post("/v1/reports/batch", json={"records": [record]}, headers={"x-api-key": "alpha-key"})
        metrics = await client.get("/metrics")
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert_error(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_error(wrong, 401, "unauthorized")
    assert_error(metrics, 401, "unauthorized")
    assert bearer.status_code == 200 and header.status_code == 200
    assert health.status_code == 200 and ready.status_code == 200


async def test_overload_is_429_with_retry_after_and_nothing_is_dropped(make_app: AppFactory) -> None:
    app = make_app(max_queue=3, batch_wait_ms=0)
    state = app.state.radprep
    real = state.process
    state.process = lambda records: (time.sleep(0.3), real(records))[1]
    async with serving(app) as client:
        responses = await asyncio.gather(*(
            client.post("/v1/reports", json={"id": f"o{i}", "text": f"FINDINGS: item {i}."}) for i in range(12)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429} and 200 in statuses and 429 in statuses
    for response in responses:
        if response.status_code == 429:
            assert_error(response, 429, "overloaded")
            assert int(response.headers["retry-after"]) >= 1
        else:
            assert response.json()["id"].startswith("o")


async def test_timeout_is_504(make_app: AppFactory) -> None:
    app = make_app(timeout_s=0.2)
    state = app.state.radprep
    real = state.process
    state.process = lambda records: (time.sleep(0.6), real(records))[1]
    async with serving(app) as client:
        response = await client.post("/v1/reports", json={"id": "t", "text": "FINDINGS: x"})
    assert_error(response, 504, "timeout")


async def test_concurrent_requests_are_batched_and_match_sequential_results(make_app: AppFactory,
                                                                            pipeline: Pipeline) -> None:
    records = [{"id": f"c{i}", "text": f"INDICATION: Pain {i}.\nFINDINGS: Dr. Ada Byron saw nodule {i}.",
                "patient_id": f"P{i % 3}"} for i in range(32)]
    app = make_app(batch_wait_ms=20)
    async with serving(app) as client:
        responses = await asyncio.gather(*(client.post("/v1/reports", json=r) for r in records))
        metrics = (await client.get("/metrics")).text
    expected = pipeline.process([InputRecord(r["id"], r["text"], r["patient_id"]) for r in records]).outcomes
    assert [r.json() for r in responses] == expected
    batches = _metric(metrics, "radprep_pipeline_batch_reports_count")
    assert _metric(metrics, "radprep_pipeline_batch_reports_sum") == 32
    assert batches < 32  # requests shared pipeline calls


async def test_the_event_loop_answers_while_a_batch_is_in_work(make_app: AppFactory) -> None:
    app = make_app()
    state = app.state.radprep
    real = state.process
    started, release = threading.Event(), threading.Event()

    def slow(records: list[InputRecord]) -> list[dict[str, Any]]:
        started.set()
        release.wait(10)
        return real(records)

    state.process = slow
    async with serving(app) as client:
        pending = asyncio.create_task(client.post("/v1/reports", json={"id": "s", "text": "FINDINGS: x"}))
        await asyncio.to_thread(started.wait, 10)
        health = await client.get("/healthz")  # answered while the pipeline thread is busy
        assert not pending.done()
        release.set()
        report = await pending
    assert health.status_code == 200 and report.status_code == 200


async def test_metrics_count_requests_without_phi(make_app: AppFactory) -> None:
    async with serving(make_app()) as client:
        await client.post("/v1/reports", json={"id": "m1", "text": REPORT})
        await client.post("/v1/reports", json={"id": "m2", "text": ""})
        await client.post("/v1/reports/batch", json={"records": [{"id": "m3", "text": REPORT}, {"id": 4}]})
        response = await client.get("/metrics")
    text = response.text
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert _metric(text, 'radprep_http_requests_total{method="POST",route="/v1/reports",status="200"}') == 1
    assert _metric(text, 'radprep_http_requests_total{method="POST",route="/v1/reports",status="422"}') == 1
    assert _metric(text, 'radprep_reports_total{outcome="ok"}') == 2
    assert _metric(text, 'radprep_reports_total{outcome="invalid"}') == 2
    assert _metric(text, 'radprep_errors_total{code="invalid_record"}') == 2
    assert _metric(text, 'radprep_sections_reports_total{source="rules"}') == 2
    for name in ("radprep_llm_calls_total", "radprep_section_fallbacks_total", "radprep_section_retries_total",
                 "radprep_http_request_duration_seconds_bucket", "radprep_queue_reports", "radprep_ready"):
        assert name in text
    for value in PHI_VALUES + ("m1", "m2", "m3"):
        assert value not in text


async def test_logs_and_crashes_carry_no_phi(make_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    state = app.state.radprep
    real, broken = state.process, threading.Event()

    def crash_when_broken(records: list[InputRecord]) -> list[dict[str, Any]]:
        if broken.is_set():
            raise ValueError(f"engine choked on {records[0].text}")
        return real(records)

    state.process = crash_when_broken
    caplog.set_level(logging.DEBUG)
    async with serving(app) as client:
        ok = await client.post("/v1/reports", json={"id": "l1", "text": REPORT})
        bad = await client.post("/v1/reports", json={"id": "l2", "text": REPORT, "metadata": {PHI_NAME: PHI_MRN}})
        broken.set()
        crashed = await client.post("/v1/reports", json={"id": "l3", "text": REPORT})
    assert ok.status_code == 200
    assert_error(bad, 422, "invalid_record")
    assert_error(crashed, 500, "internal")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "POST /v1/reports 200" in logged and "ValueError" in logged
    for value in PHI_VALUES:
        assert value not in logged


async def test_not_ready_until_the_pipeline_loads() -> None:
    app = create_app(Settings(route="rules"))  # no RADPREP_SECRET: loading fails
    async with serving(app) as client:
        for _ in range(100):
            ready = await client.get("/readyz")
            if ready.json()["error"]["message"] != "models are loading":
                break
            await asyncio.sleep(0.05)
        report = await client.post("/v1/reports", json={"id": "n", "text": "FINDINGS: x"})
        health = await client.get("/healthz")
    error = assert_error(ready, 503, "not_ready")
    assert "RADPREP_SECRET" in error["message"]
    assert_error(report, 503, "not_ready")
    assert health.status_code == 200


async def test_loads_the_models_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPREP_SECRET", "api-load-test-secret")
    app = create_app(Settings(route="rules"))
    async with serving(app) as client:
        for _ in range(600):
            ready = await client.get("/readyz")
            if ready.status_code == 200:
                break
            assert_error(ready, 503, "not_ready")
            assert "retry-after" in ready.headers
            await asyncio.sleep(0.05)
        report = await client.post("/v1/reports", json={"id": "ready", "text": REPORT})
    assert ready.json() == {"status": "ready", "route": "rules", "backend": None, "model": None,
                            "reason": "route rules never calls an LLM", "asked": {"route": "rules", "backend": "auto"}}
    assert report.status_code == 200 and report.json()["sections"]["impression"] == "No acute disease."


async def test_openapi_documents_the_contract(make_app: AppFactory) -> None:
    async with serving(make_app()) as client:
        spec = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert {"/v1/reports", "/v1/reports/batch", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    body = spec["paths"]["/v1/reports"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ReportIn"}
    report_in = spec["components"]["schemas"]["ReportIn"]
    assert report_in["required"] == ["id", "text"] and report_in["additionalProperties"] is False
    assert {"413", "422", "429"} <= set(spec["paths"]["/v1/reports"]["post"]["responses"])
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


async def test_a_dead_worker_process_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPREP_SECRET", "api-worker-test-secret")
    app = create_app(Settings(route="rules"))
    async with serving(app) as client:
        for _ in range(600):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        runner = app.state.radprep.runner
        assert isinstance(runner, ProcessRunner)
        first = await client.post("/v1/reports", json={"id": "w1", "text": REPORT, "patient_id": "PW"})
        os.kill(runner._pool.submit(os.getpid).result(), signal.SIGKILL)
        lost = await client.post("/v1/reports", json={"id": "w2", "text": REPORT})
        again = await client.post("/v1/reports", json={"id": "w3", "text": REPORT, "patient_id": "PW"})
    assert first.status_code == 200 and first.json()["id"] == "w1"
    assert_error(lost, 503, "not_ready")
    assert again.status_code == 200 and again.json()["text"] == first.json()["text"]


async def test_openapi_lists_every_error_status_the_readme_names(make_app: AppFactory) -> None:
    """The README's list of error codes and /openapi.json agree: each status named there is documented
    on both report endpoints, and nothing else is."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Codes: `empty_body`"):]
    paragraph = paragraph[:paragraph.index("\n\n")]
    named = set(re.findall(r"\((\d{3})\b", paragraph))
    assert {"404", "500"} <= named
    async with serving(make_app()) as client:
        spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/reports", "/v1/reports/batch"):
        assert set(spec["paths"][path]["post"]["responses"]) - {"200"} == named, path
    for path in ("/readyz", "/metrics"):
        assert "500" in spec["paths"][path]["get"]["responses"], path


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_assets_the_service_serves(make_app: AppFactory, page: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """On an offline network /docs and /redoc still work: every script, style and icon they load is served
    by the service itself (no CDN, no Google fonts), and no socket is opened to fetch them."""
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    async with serving(make_app()) as client:
        html = await client.get(page)
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html.text)
        assets = {url: await client.get(url) for url in urls}
    assert html.status_code == 200 and "http://" not in html.text and "https://" not in html.text
    scripts = [url for url in urls if url.endswith(".js")]
    assert len(scripts) == 1 and scripts[0].startswith("/docs/assets/")
    assert "/openapi.json" in urls
    for url, response in assets.items():
        assert response.status_code == 200 and len(response.content) > 100, url
    assert assets[scripts[0]].headers["content-type"].startswith("text/javascript")


async def test_only_known_docs_assets_are_served(make_app: AppFactory) -> None:
    async with serving(make_app()) as client:
        missing = await client.get("/docs/assets/..%2Fcore.py")
        other = await client.get("/docs/assets/secret.txt")
    assert missing.status_code == 404 and other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"


async def test_readyz_says_what_auto_resolved_to_and_why(detector) -> None:
    """Asked for route and backend auto, with no LLM that auto may use: /readyz says rules and why."""
    from tests.api.conftest import SECRET

    pipeline = Pipeline(Settings(), SECRET, detector=detector)
    assert pipeline.backend is None
    async with serving(create_app(Settings(), pipeline=pipeline)) as client:
        ready = (await client.get("/readyz")).json()
    assert (ready["route"], ready["backend"], ready["asked"]) == ("rules", None, {"route": "auto", "backend": "auto"})
    assert ready["reason"].startswith("backend auto ") and "heuristic split" in ready["reason"]
