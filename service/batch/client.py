"""The `--server URL` engine: batches of records to a running radprep service, results in input order.

`concurrency` requests are in flight at once (an asyncio httpx client); the window of batches read
ahead is twice that, so memory stays bounded. A 429 or 503 is retried after its `Retry-After`; a
connection error, a timeout or another 5xx after an exponential backoff. A batch that still gets a
5xx becomes a failure of each of its records (the run goes on); a refusal (400, 401, 413, ...) or
a server that stays unreachable stops the run. The API key comes from `RADPREP_API_KEY`.

The contract: `POST /v1/reports/batch {"records": [...]}` → `{"results": [{"status": "ok", "report":
{...}} | {"status": "error", "error": {"code", "message", "field", "record_id", "where", "request_id"}},
...]}`, in request order; any other status has the same error body `{"error": {...}}`; `GET /readyz`
is 200 once the models are loaded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx

from service.errors import BackendError
from service.outcomes import Failure, Outcome
from service.records import InputRecord
from service.sections.router import RouteStats

log = logging.getLogger("radprep")
BATCH_PATH = "/v1/reports/batch"
RETRY_STATUSES = (429, 503)


class HttpEngine:
    name = "server"
    stats: RouteStats | None = None  # the service batches requests together: no counts per request

    def __init__(self, url: str, concurrency: int = 4, api_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, timeout_s: float = 600.0,
                 attempts: int = 8, backoff_s: float = 0.5, max_wait_s: float = 60.0, ready_wait_s: float = 600.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if concurrency < 1:
            raise BackendError("--concurrency must be at least 1")
        self.url = url.rstrip("/")
        self.concurrency = concurrency
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.transport = transport
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.ready_wait_s = ready_wait_s
        self.sleep = sleep
        self.name = f"server {self.url}, {concurrency} in flight"

    def run(self, batches: Iterator[list[InputRecord]]) -> Iterator[list[Outcome]]:
        loop = asyncio.new_event_loop()
        client = httpx.AsyncClient(base_url=self.url, transport=self.transport, headers=self.headers,
                                   timeout=httpx.Timeout(self.timeout_s, connect=10.0))
        window: deque[asyncio.Task[list[Outcome]]] = deque()
        try:
            loop.run_until_complete(self._wait_ready(client))
            limit = asyncio.Semaphore(self.concurrency)
            for records in batches:
                window.append(loop.create_task(self._send(client, limit, records)))
                while len(window) >= 2 * self.concurrency:
                    yield loop.run_until_complete(window.popleft())
            while window:
                yield loop.run_until_complete(window.popleft())
        finally:
            loop.run_until_complete(_cancel(window))
            loop.run_until_complete(client.aclose())
            loop.close()

    def close(self) -> None:
        """Nothing to release: the client lives for one `run`."""

    async def _wait_ready(self, client: httpx.AsyncClient) -> None:
        waited = 0.0
        while True:
            try:
                response = await client.get("/readyz")
            except httpx.TransportError as exc:
                raise BackendError(f"cannot reach the radprep service at {self.url} ({type(exc).__name__})") from None
            if response.status_code == 200:
                return
            if response.status_code != 503 or waited >= self.ready_wait_s:
                raise BackendError(f"the radprep service at {self.url} is not ready: {_describe(response)}")
            wait = self._wait(response, 1)
            log.info("waiting %.0f s for the service to load its models", wait)
            await self.sleep(wait)
            waited += wait

    async def _send(self, client: httpx.AsyncClient, limit: asyncio.Semaphore,
                    records: list[InputRecord]) -> list[Outcome]:
        if not records:
            return []
        body = {"records": [_record_json(r) for r in records]}
        async with limit:
            for attempt in range(1, self.attempts + 1):
                last = attempt == self.attempts
                try:
                    response = await client.post(BATCH_PATH, json=body)
                except httpx.TransportError as exc:
                    if last:
                        raise BackendError(f"the radprep service at {self.url} failed {self.attempts} times "
                                           f"({type(exc).__name__}); rerun the command to resume") from None
                    await self.sleep(self._wait(None, attempt))
                    continue
                status = response.status_code
                if status == 200:
                    return _outcomes(response, records)
                if status == 413:
                    raise BackendError(f"the service refused a batch of {len(records)} records as too large: "
                                       "lower --batch-size")
                if status in RETRY_STATUSES or status >= 500:
                    if not last:
                        await self.sleep(self._wait(response, attempt))
                        continue
                    if status in RETRY_STATUSES:
                        raise BackendError(f"the service stayed busy ({_describe(response)}); rerun to resume")
                    reason = f"server error: {_describe(response)}"
                    log.warning("a batch of %d records failed on the server (%s)", len(records), reason)
                    return [Failure(r.id, reason, code="server_error") for r in records]
                raise BackendError(f"the service refused the batch: {_describe(response)}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, response: httpx.Response | None, attempt: int) -> float:
        """Seconds before the next try: the server's Retry-After, else an exponential backoff."""
        retry_after = response.headers.get("Retry-After") if response is not None else None
        try:
            wait = float(retry_after) if retry_after is not None else None
        except ValueError:
            wait = None  # an HTTP date: use the backoff
        if wait is None:
            wait = self.backoff_s * 2 ** (attempt - 1)
        return max(0.0, min(wait, self.max_wait_s))


async def _cancel(tasks: deque[asyncio.Task[list[Outcome]]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _record_json(record: InputRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"id": record.id, "text": record.text}
    if record.patient_id is not None:
        body["patient_id"] = record.patient_id
    if record.metadata:
        body["metadata"] = record.metadata
    return body


def _outcomes(response: httpx.Response, records: list[InputRecord]) -> list[Outcome]:
    try:
        results = response.json()["results"]
    except (ValueError, KeyError, TypeError):
        raise BackendError("the service answered 200 without a results list") from None
    if not isinstance(results, list) or len(results) != len(records):
        raise BackendError(f"the service answered {len(results) if isinstance(results, list) else 'no'} results "
                           f"for {len(records)} records")
    outcomes: list[Outcome] = []
    for record, item in zip(records, results, strict=True):
        if isinstance(item, dict) and item.get("status") == "ok" and isinstance(item.get("report"), dict):
            if item["report"].get("id") != record.id:
                raise BackendError(f"the service answered out of order (expected id {record.id!r})")
            outcomes.append(item["report"])
        elif isinstance(item, dict) and item.get("status") == "error" and isinstance(item.get("error"), dict):
            error = item["error"]
            outcomes.append(Failure(record.id, str(error.get("message") or error.get("code") or "error"),
                                    field=error.get("field"), code=str(error.get("code") or "error")))
        else:
            raise BackendError("the service answered a result that is neither ok nor error")
    return outcomes


def _describe(response: httpx.Response) -> str:
    """Status and the error body's code and message (PHI-free by the service's contract)."""
    try:
        error = response.json()["error"]
        return f"HTTP {response.status_code} {error.get('code')}: {error.get('message')}"
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"HTTP {response.status_code}"
