"""Per-request bookkeeping as plain ASGI middleware (Starlette's BaseHTTPMiddleware costs about a
millisecond per request): the request id, the metrics, one log line, and a crash turned into a 500."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import error_response

log = logging.getLogger("radprep.api")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ObserveMiddleware:
    """Request id, metrics and one log line per request (method, route template, status, latency); a
    crash becomes a 500 with the stable body and only the exception's type in the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            log.error("unhandled %s (request %s)", type(exc).__name__, request_id)
            response = error_response(Request(scope), 500, "internal", "internal error")
            response.headers["X-Request-ID"] = request_id
            status = 500
            await response(scope, receive, send)
        elapsed = time.perf_counter() - started
        path = getattr(scope.get("route"), "path", "unmatched")
        state = scope["app"].state.radprep
        state.metrics.requests.labels(path, scope["method"], str(status)).inc()
        state.metrics.latency.labels(path).observe(elapsed)
        log.info("%s %s %d %.1f ms", scope["method"], path, status, elapsed * 1000)
