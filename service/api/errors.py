"""The one error body of the service, and the handlers that turn every error into it:
`{"error": {"code", "message", "field", "record_id", "where", "request_id"}}` with a stable `code`.
A batch's per-record errors have the same shape (`error_detail`)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api import schemas
from service.errors import ApiError, BackendError, RadprepError

log = logging.getLogger("radprep.api")


def error_detail(request: Request, exc: ApiError) -> dict[str, Any]:
    """The error object: for a whole request, and for each record of a batch."""
    return {"code": exc.code, "message": exc.message, "field": exc.field, "record_id": exc.record_id,
            "where": exc.where, "request_id": getattr(request.state, "request_id", None)}


def error_response(request: Request, status: int, code: str, message: str, *, field: str | None = None,
                   record_id: str | None = None, where: str | None = None,
                   retry_after: int | None = None) -> JSONResponse:
    body = {"error": error_detail(request, ApiError(code, message, field=field, record_id=record_id, where=where))}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    state = getattr(request.app.state, "radprep", None)
    if state is not None:
        state.metrics.errors.labels(code).inc()
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status, exc.code, exc.message, field=exc.field,
                              record_id=exc.record_id, where=exc.where, retry_after=exc.retry_after)

    @app.exception_handler(BackendError)
    async def backend_error(request: Request, exc: BackendError) -> JSONResponse:
        log.error("backend error (%s)", type(exc).__name__)
        return error_response(request, 502, "backend_error", "the LLM backend failed; retry later", retry_after=5)

    @app.exception_handler(RadprepError)
    async def radprep_error(request: Request, exc: RadprepError) -> JSONResponse:
        log.error("request failed: %s", exc)  # RadprepError messages carry no PHI by contract
        return error_response(request, 500, "internal", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(request, exc.status_code, code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error_response(request, 422, "invalid_request", str(first.get("msg", "invalid request")),
                              field=where or None)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.ErrorBody, "description": description} for status, description in {
        400: "empty body, invalid JSON or encoding", 401: "missing or unknown API key",
        404: "no such path", 408: "header_timeout or body_timeout: the request did not come in in time",
        413: "body over the size limit", 415: "not application/json",
        422: "invalid record or body", 429: "overloaded: retry after Retry-After seconds",
        500: "processing_failed (the pipeline raised on this record) or internal",
        502: "backend_error: the LLM backend failed; retry after Retry-After seconds",
        503: "models not loaded yet", 504: "not answered within the request timeout",
        499: "client_disconnected: the client closed before sending its body (logged and counted; no answer)",
    }.items()
}
