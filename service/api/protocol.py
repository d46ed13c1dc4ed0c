"""uvicorn's HTTP/1.1 protocol (h11) with a header timeout and the service's error body.

- **Header timeout.** A connection has `RADPREP_API__HEADER_TIMEOUT_S` to send a request's line and
  headers (from its opening, and again after each response on a kept-alive connection); a client that
  trickles them (slowloris) gets 408 and is closed, instead of holding a connection for ever. The body
  has its own timeout in the app (`read_json`).
- **uvicorn's own 400** (a malformed request line or header, which never reaches the app) has the
  documented body `{"error": {"code": "bad_request", ...}}` instead of plain text.

Both are counted in /metrics like the app's own errors: `radprep_http_requests{route="connection"}` by
status, and `radprep_errors` by code.
"""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


@lru_cache(maxsize=1)
def header_timeout_s() -> float:
    from service.settings import load_settings

    return load_settings().api.header_timeout_s


def error_bytes(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "field": None, "record_id": None,
                                 "where": None, "request_id": None}}).encode()


class GuardedH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(header_timeout_s(), self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._disarm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._disarm_header_timer()
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._send_error(408, "header_timeout", f"request headers not received within {header_timeout_s():g} s")

    def send_400_response(self, msg: str) -> None:
        self._send_error(400, "bad_request", "malformed HTTP request")

    def _send_error(self, status: int, code: str, message: str) -> None:
        self._count(status, code)
        body = error_bytes(code, message)
        headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json"),
                                              (b"content-length", str(len(body)).encode()),
                                              (b"connection", b"close")]
        try:
            if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                reason: Any = b"Request Timeout" if status == 408 else b"Bad Request"
                self.transport.write(self.conn.send(h11.Response(status_code=status, headers=headers, reason=reason)))
                self.transport.write(self.conn.send(h11.Data(data=body)))
                self.transport.write(self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:
            pass  # a response was already started: just close
        self.transport.close()

    def _count(self, status: int, code: str) -> None:
        """The error in the app's metrics; the app is found under uvicorn's wrappers (proxy headers...)."""
        app = self.app
        while app is not None and not hasattr(app, "state"):
            app = getattr(app, "app", None)
        state = getattr(getattr(app, "state", None), "radprep", None)
        if state is not None:
            state.metrics.requests.labels("connection", "-", str(status)).inc()
            state.metrics.errors.labels(code).inc()
