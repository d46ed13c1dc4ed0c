"""The FastAPI service: POST a raw report, get the de-identified sections (the same JSON as a line of
`radprep process` output).

    POST /v1/reports          one record → one report
    POST /v1/reports/batch    {"records": [...]} → {"results": [...]}, per-record errors in place
    GET  /healthz /readyz     liveness; readiness (503 while the models load)
    GET  /metrics             Prometheus
    GET  /docs /redoc         the contract, read in Swagger UI or ReDoc (assets served from local files)
    GET  /openapi.json        the contract

Every error, from a bad body to an unknown path, and each per-record error of a batch, has the one
shape `{"code", "message", "field", "record_id", "where", "request_id"}` (under "error"); messages
name fields and counts, never report text. Logs carry the method, the route template, the status and the latency.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import ClientDisconnect

from service import __version__
from service.api import schemas
from service.api.batcher import Batcher
from service.api.docs import add_docs
from service.api.errors import ERROR_RESPONSES, error_detail, install_error_handlers
from service.api.metrics import Metrics
from service.api.middleware import ObserveMiddleware
from service.api.runner import ProcessRunner, Runner, ThreadRunner, build_pipeline
from service.errors import ApiError, NotReadyError, RadprepError, RecordError
from service.outcomes import TIMEOUT, Failure, Outcome
from service.pipeline import Pipeline
from service.records import InputRecord, NestingError, decode_json, field_label, validate
from service.settings import Settings, load_settings, resolve_secret

log = logging.getLogger("radprep.api")
_bearer = HTTPBearer(auto_error=False, description="an API key from RADPREP_API_KEYS")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key from RADPREP_API_KEYS")


class ServiceState:
    """What the app holds: settings, the pipeline's runner once loaded, the batcher, the metrics."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None) -> None:
        self.settings = settings
        self.runner: Runner | None = ThreadRunner(pipeline) if pipeline is not None else None
        self.metrics = Metrics()
        self.batcher: Batcher | None = None
        self.load_error: str | None = None
        self.keys = [key.encode() for key in settings.api_key_list()]

    def process(self, records: list[InputRecord]) -> list[Outcome]:
        """Runs in the batcher's worker thread."""
        assert self.runner is not None
        result = self.runner.process(records)
        self.metrics.observe_sections(result.stats)
        return result.outcomes

    def on_batch(self, size: int, seconds: float) -> None:
        self.metrics.batch_reports.observe(size)
        self.metrics.batch_seconds.observe(seconds)

    def ready(self) -> Batcher:
        if self.batcher is None or self.runner is None:
            if self.load_error is not None:
                raise NotReadyError(f"models failed to load ({self.load_error})", retry_after=None)
            raise NotReadyError()
        return self.batcher


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.radprep
    return state


def require_key(request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                header_key: Annotated[str | None, Depends(_api_key_header)]) -> None:
    """With RADPREP_API_KEYS set, every /v1 and /metrics request needs one of the keys."""
    state = _state(request)
    if not state.keys:
        return
    given = (bearer.credentials if bearer is not None else header_key or "").encode()
    if not any(secrets.compare_digest(given, key) for key in state.keys):
        raise ApiError("unauthorized", "missing or unknown API key (Authorization: Bearer KEY or X-API-Key)",
                       status=401)


# -- request bodies ----------------------------------------------------------------------------------
async def read_json(request: Request, limit: int, timeout_s: float = 10.0) -> object:
    """The decoded JSON body, refusing (before reading it all) a body over `limit` bytes or one that takes
    longer than `timeout_s` to arrive."""
    media_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError("unsupported_media_type", "send the body as application/json", status=415)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError("too_large", f"request body over the limit of {limit} bytes", status=413)
    body = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise ApiError("too_large", f"request body over the limit of {limit} bytes", status=413)
    except TimeoutError:
        raise ApiError("body_timeout", f"request body not received within {timeout_s:g} s", status=408) from None
    except ClientDisconnect:  # a half-closed client: not a server error (499, as nginx counts it)
        raise ApiError("client_disconnected", "the client closed the connection before sending the whole body",
                       status=499) from None
    if not body.strip():
        raise ApiError("empty_body", "the request body is empty; send a JSON object", status=400)
    try:
        return decode_json(body.decode("utf-8"))
    except NestingError:
        raise ApiError("invalid_json", "JSON nested too deeply", status=422) from None
    except UnicodeDecodeError:
        raise ApiError("invalid_encoding", "the request body is not valid UTF-8", status=400) from None
    except json.JSONDecodeError as exc:
        raise ApiError("invalid_json", f"invalid JSON at line {exc.lineno} column {exc.colno}", status=400) from None


def _record_error(exc: RecordError) -> ApiError:
    return ApiError("invalid_record", str(exc), status=422, field=exc.field, record_id=exc.record_id,
                    where=exc.where)


def _failure_error(failure: Failure, where: str) -> ApiError:
    """A record the pipeline could not process (its error is PHI-free: the exception's type, or the budget
    it ran past: 504 `timeout`)."""
    status = 504 if failure.code == TIMEOUT else 500
    return ApiError(failure.code, failure.error, status=status, field=failure.field, record_id=failure.id,
                    where=where)


def _error_item(request: Request, exc: ApiError) -> dict[str, Any]:
    return {"status": "error", "error": error_detail(request, exc)}


async def _run(state: ServiceState, records: list[InputRecord]) -> list[Outcome]:
    batcher = state.ready()
    try:
        return await asyncio.wait_for(batcher.submit(records), state.settings.api.timeout_s)
    except TimeoutError:
        state.metrics.reports.labels("failed").inc(len(records))
        raise ApiError("timeout", f"not answered within {state.settings.api.timeout_s:g} s", status=504,
                       retry_after=batcher.retry_after()) from None


# -- the app -------------------------------------------------------------------------------------------
def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """The service. With `pipeline`, that pipeline runs in a thread and is ready at once. Without, the app
    loads one at start-up (models included) in a worker process (`api.worker_process`, default) or a
    thread; /readyz turns 200 when it is ready."""
    settings = settings or load_settings()
    state = ServiceState(settings, pipeline)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = None if state.runner is not None else asyncio.create_task(_load(state))
        if state.runner is not None:
            _start_batcher(state)
        try:
            yield
        finally:
            if loader is not None:
                loader.cancel()
            if state.batcher is not None:
                await state.batcher.stop()
            if state.runner is not None and pipeline is None:  # close only what this app started
                await asyncio.to_thread(state.runner.close)

    app = FastAPI(title="radprep", version=__version__, lifespan=lifespan, redirect_slashes=False,
                  docs_url=None, redoc_url=None,  # served from local files by add_docs
                  summary="De-identify raw chest X-ray reports and split them into indication, comparison, "
                  "findings and impression.")
    app.state.radprep = state
    install_error_handlers(app)
    app.add_middleware(ObserveMiddleware)
    _add_routes(app)
    add_docs(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _start_batcher(state: ServiceState) -> None:
    api = state.settings.api
    state.batcher = Batcher(state.process, max_batch=max(api.max_batch, state.settings.batch_size),
                            max_queue=api.max_queue, wait_s=api.batch_wait_ms / 1000, on_batch=state.on_batch)
    state.batcher.start()
    state.metrics.ready.set(1)


async def _load(state: ServiceState) -> None:
    started = time.perf_counter()
    try:
        secret = resolve_secret(state.settings, ephemeral=False)
        if state.settings.api.worker_process:
            state.runner = await asyncio.to_thread(ProcessRunner, state.settings, secret)
        else:
            state.runner = ThreadRunner(await asyncio.to_thread(build_pipeline, state.settings, secret))
    except asyncio.CancelledError:
        raise
    except RadprepError as exc:
        state.load_error = str(exc)
        log.error("models failed to load: %s", exc)
        return
    except Exception as exc:  # a third-party engine failing to start; its message may be long
        state.load_error = type(exc).__name__
        log.error("models failed to load (%s)", type(exc).__name__)
        return
    _start_batcher(state)
    where = "a worker process" if isinstance(state.runner, ProcessRunner) else "a thread"
    log.info("ready in %.1f s (pipeline in %s); %s", time.perf_counter() - started, where, state.runner.info.describe())


def _add_routes(app: FastAPI) -> None:
    @app.post("/v1/reports", response_model=schemas.ReportOut, responses=ERROR_RESPONSES,
              dependencies=[Depends(require_key)], openapi_extra=_body("ReportIn"),
              summary="De-identify and section one report")
    async def post_report(request: Request) -> JSONResponse:
        state = _state(request)
        raw = await read_json(request, state.settings.api.max_body_bytes, state.settings.api.body_timeout_s)
        try:
            record = validate(raw, "body", state.settings.max_text_chars)
        except RecordError as exc:
            state.metrics.reports.labels("invalid").inc()
            raise _record_error(exc) from None
        [output] = await _run(state, [record])
        if isinstance(output, Failure):
            state.metrics.reports.labels("failed").inc()
            raise _failure_error(output, "body")
        state.metrics.reports.labels("ok").inc()
        return JSONResponse(output)

    @app.post("/v1/reports/batch", response_model=schemas.BatchOut, responses=ERROR_RESPONSES,
              dependencies=[Depends(require_key)], openapi_extra=_body("BatchIn"),
              summary="De-identify and section up to RADPREP_API__MAX_BATCH reports")
    async def post_batch(request: Request) -> JSONResponse:
        state = _state(request)
        raw = await read_json(request, state.settings.api.max_body_bytes, state.settings.api.body_timeout_s)
        items = _batch_records(raw, state.settings)
        records = [item for item in items if isinstance(item, InputRecord)]
        outputs = iter(await _run(state, records))
        results = []
        failed = 0
        for index, item in enumerate(items):
            if isinstance(item, RecordError):
                state.metrics.errors.labels("invalid_record").inc()
                results.append(_error_item(request, _record_error(item)))
                continue
            output = next(outputs)
            if isinstance(output, Failure):
                failed += 1
                state.metrics.errors.labels(output.code).inc()
                results.append(_error_item(request, _failure_error(output, f"records[{index}]")))
            else:
                results.append({"status": "ok", "report": output})
        state.metrics.reports.labels("ok").inc(len(records) - failed)
        state.metrics.reports.labels("failed").inc(failed)
        state.metrics.reports.labels("invalid").inc(len(items) - len(records))
        return JSONResponse({"results": results})

    @app.get("/healthz", response_model=schemas.Health, summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=schemas.Ready,
             responses={status: ERROR_RESPONSES[status] for status in (500, 503)},
             summary="Readiness: models loaded, reports accepted")
    async def readyz(request: Request) -> dict[str, Any]:
        state = _state(request)
        state.ready()
        assert state.runner is not None
        info = state.runner.info
        return {"status": "ready", "route": info.route, "backend": info.backend, "model": info.model,
                "reason": info.reason, "asked": {"route": info.asked_route, "backend": info.asked_backend}}

    @app.get("/metrics", dependencies=[Depends(require_key)], response_class=Response,
             responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
                        401: ERROR_RESPONSES[401], 500: ERROR_RESPONSES[500]}, summary="Prometheus metrics (no PHI)")
    async def metrics(request: Request) -> Response:
        state = _state(request)
        state.metrics.queue.set(state.batcher.pending if state.batcher is not None else 0)
        return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


def _batch_records(raw: object, settings: Settings) -> list[InputRecord | RecordError]:
    if not isinstance(raw, dict):
        raise ApiError("invalid_request", "expected a JSON object {\"records\": [...]}", status=422)
    unknown = sorted(str(key) for key in raw if key != "records")
    if unknown:
        raise ApiError("invalid_request", "unknown field (allowed: records)", status=422,
                       field=field_label(unknown[0]))
    records = raw.get("records")
    if not isinstance(records, list) or not records:
        raise ApiError("invalid_request", "expected a non-empty array of records", status=422, field="records")
    if len(records) > settings.api.max_batch:
        raise ApiError("too_many_records", f"{len(records)} records, over the limit of {settings.api.max_batch}",
                       status=422, field="records")
    items: list[InputRecord | RecordError] = []
    for index, record in enumerate(records):
        try:
            items.append(validate(record, f"records[{index}]", settings.max_text_chars))
        except RecordError as exc:
            items.append(exc)
    return items


def _body(model: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}}}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the request bodies, which the handlers read themselves."""
    if app.openapi_schema is None:
        spec = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in (schemas.ReportIn, schemas.BatchIn):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(found.pop("$defs", {}))
            components[model.__name__] = found
        app.openapi_schema = spec
    return app.openapi_schema


def app_from_env() -> FastAPI:
    """The app for `uvicorn --factory` (each worker process of `radprep serve` calls it)."""
    settings = load_settings()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="radprep: %(message)s")
    logging.getLogger("radprep").setLevel(settings.api.log_level.upper())
    return create_app(settings)
