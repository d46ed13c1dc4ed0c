"""The service against slow, broken and half-closed clients: no slash redirects, body and header
timeouts, uvicorn's own 400 and client disconnects in the documented error body, counted as such."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.requests import Request

from service.api import protocol
from service.api.app import read_json
from service.errors import ApiError
from tests.api.conftest import AppFactory, serving
from tests.api.test_app import assert_error

pytestmark = pytest.mark.anyio
FIELDS = {"code", "message", "field", "record_id", "where", "request_id"}


async def test_a_trailing_slash_is_not_redirected(make_app: AppFactory) -> None:
    async with serving(make_app()) as client:
        response = await client.post("/v1/reports/", json={"id": "r", "text": "FINDINGS: Clear."},
                                     headers={"host": "evil.example"})
    assert_error(response, 404, "not_found")
    assert "location" not in response.headers


def _request(receive) -> Request:  # type: ignore[no-untyped-def]
    return Request({"type": "http", "method": "POST", "path": "/v1/reports", "headers": [
        (b"content-type", b"application/json")]}, receive)


async def test_a_body_that_trickles_past_the_body_timeout_is_408() -> None:
    async def stalls() -> dict[str, object]:
        await asyncio.sleep(60)
        return {"type": "http.request", "body": b"", "more_body": False}

    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        await read_json(_request(stalls), 1 << 20, timeout_s=0.2)
    assert (caught.value.status, caught.value.code) == (408, "body_timeout")
    assert time.monotonic() - started < 10


async def test_a_client_that_disconnects_mid_body_is_499_not_a_server_error() -> None:
    messages = iter([{"type": "http.request", "body": b'{"id": "r", "te', "more_body": True},
                     {"type": "http.disconnect"}])

    async def receive() -> dict[str, object]:
        return next(messages)

    with pytest.raises(ApiError) as caught:
        await read_json(_request(receive), 1 << 20)
    assert (caught.value.status, caught.value.code) == (499, "client_disconnected")


@contextmanager
def real_server(app: FastAPI, monkeypatch: pytest.MonkeyPatch, header_timeout: float) -> Iterator[int]:
    monkeypatch.setenv("RADPREP_API__HEADER_TIMEOUT_S", str(header_timeout))
    protocol.header_timeout_s.cache_clear()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           http=protocol.GuardedH11Protocol))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        protocol.header_timeout_s.cache_clear()


def _read_all(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    return data


def _error_of(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    error = json.loads(body)["error"]
    assert set(error) == FIELDS
    return status, error


def test_headers_that_trickle_past_the_header_timeout_get_408_and_a_closed_connection(
        make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    with real_server(make_app(), monkeypatch, header_timeout=0.5) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        raw = _read_all(sock, timeout=10)
    status, error = _error_of(raw)
    assert (status, error["code"]) == (408, "header_timeout")


def test_a_kept_alive_connection_gets_the_header_timeout_again(make_app: AppFactory,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with real_server(make_app(), monkeypatch, header_timeout=0.5) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # the second request never ends its headers
        raw = _read_all(sock, timeout=10)
    assert _error_of(raw)[0] == 408


def test_a_malformed_request_gets_400_in_the_error_body(make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    with real_server(make_app(), monkeypatch, header_timeout=5) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"NOT AN HTTP REQUEST\x00\r\n\r\n")
        raw = _read_all(sock, timeout=10)
    status, error = _error_of(raw)
    assert (status, error["code"]) == (400, "bad_request")


def test_connection_errors_are_counted_in_the_metrics(make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    with real_server(app, monkeypatch, header_timeout=0.5) as port:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"NOT AN HTTP REQUEST\x00\r\n\r\n")
            _read_all(sock, timeout=10)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # headers never end
            _read_all(sock, timeout=10)
    text = app.state.radprep.metrics.render().decode()
    assert 'radprep_http_requests_total{method="-",route="connection",status="400"} 1.0' in text
    assert 'radprep_http_requests_total{method="-",route="connection",status="408"} 1.0' in text
    assert 'radprep_errors_total{code="bad_request"} 1.0' in text
    assert 'radprep_errors_total{code="header_timeout"} 1.0' in text


async def test_a_report_over_its_time_budget_is_a_504_timeout_and_its_batch_neighbours_are_answered(
        detector, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.api.app import create_app
    from service.pipeline import Pipeline
    from service.settings import Settings

    settings = Settings(route="rules", max_report_seconds=0.3)
    pipeline = Pipeline(settings, b"api-test-secret-budget", detector=detector)
    real = pipeline.deidentifier.detector.detect_batch

    def stalls(texts):  # type: ignore[no-untyped-def]
        if any("STALL" in t for t in texts):
            until = time.monotonic() + 60
            while time.monotonic() < until:
                pass
        return real(texts)

    monkeypatch.setattr(pipeline.deidentifier.detector, "detect_batch", stalls)
    good = {"id": "ok", "text": "FINDINGS: Clear lungs.\nIMPRESSION: Normal."}
    bad = {"id": "slow", "text": "FINDINGS: STALL.\nIMPRESSION: None."}
    async with serving(create_app(settings, pipeline=pipeline)) as client:
        batch = await client.post("/v1/reports/batch", json={"records": [good, bad]})
        single = await client.post("/v1/reports", json=bad)
    ok, timed_out = batch.json()["results"]
    assert ok["status"] == "ok" and ok["report"]["id"] == "ok"
    assert timed_out["status"] == "error" and timed_out["error"]["code"] == "timeout"
    assert timed_out["error"]["record_id"] == "slow" and timed_out["error"]["where"] == "records[1]"
    error = assert_error(single, 504, "timeout")
    assert "STALL" not in error["message"]
