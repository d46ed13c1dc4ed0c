"""Micro-batching of concurrent requests into one pipeline call.

Requests put their records on a queue and await a future. One consumer takes everything that is
waiting (up to `max_batch` reports, after at most `wait_s` for more to arrive) and runs the pipeline on
it in a worker thread, so the event loop stays free while de-identification runs, and concurrent
requests reach the LLM engine as one batch. While a batch is in work the next one fills up.

Admission control: when the reports waiting or in work would pass `max_queue`, `submit` raises
`OverloadedError` with a Retry-After estimated from the recent throughput.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from service.errors import OverloadedError
from service.outcomes import Outcome
from service.records import InputRecord

log = logging.getLogger("radprep")
ProcessFn = Callable[[list[InputRecord]], list[Outcome]]


@dataclass
class _Job:
    records: Sequence[InputRecord]
    future: asyncio.Future[list[Outcome]] = field(repr=False)


class Batcher:
    def __init__(self, process: ProcessFn, *, max_batch: int, max_queue: int, wait_s: float,
                 on_batch: Callable[[int, float], None] | None = None) -> None:
        self._process = process
        self.max_batch = max_batch
        self.max_queue = max_queue
        self.wait_s = wait_s
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="radprep-pipeline")
        self._consumer: asyncio.Task[None] | None = None
        self.pending = 0  # reports queued or in work
        self._rate = 100.0  # reports/s, a moving average; only sizes Retry-After

    def start(self) -> None:
        self._consumer = asyncio.get_running_loop().create_task(self._run(), name="radprep-batcher")

    async def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            try:
                await self._consumer
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=True, cancel_futures=True)

    async def submit(self, records: Sequence[InputRecord]) -> list[Outcome]:
        """The pipeline's outputs for `records`, in order. Cancelling the await (a timeout) drops the
        records if their batch has not started yet."""
        if not records:
            return []
        if self.pending + len(records) > self.max_queue:
            raise OverloadedError(retry_after=self.retry_after())
        future: asyncio.Future[list[Outcome]] = asyncio.get_running_loop().create_future()
        self.pending += len(records)
        self._queue.put_nowait(_Job(records, future))
        return await future

    def retry_after(self) -> int:
        return max(1, math.ceil(self.pending / max(self._rate, 1.0)))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = await self._collect()
            live = [job for job in jobs if not job.future.cancelled()]
            self.pending -= sum(len(job.records) for job in jobs if job.future.cancelled())
            if not live:
                continue
            records = [record for job in live for record in job.records]
            started = time.perf_counter()
            try:
                outputs = await loop.run_in_executor(self._executor, self._process, records)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # delivered to every request of the batch; the handler maps it
                for job in live:
                    if not job.future.done():
                        job.future.set_exception(exc)
            else:
                self._deliver(live, outputs)
            finally:
                elapsed = time.perf_counter() - started
                self.pending -= len(records)
                if elapsed > 0:
                    self._rate = 0.8 * self._rate + 0.2 * (len(records) / elapsed)
                if self._on_batch is not None:
                    self._on_batch(len(records), elapsed)

    async def _collect(self) -> list[_Job]:
        """The first waiting job, then whatever else arrived within `wait_s`, up to `max_batch` reports.
        (One sleep, then a drain: cancelling a pending `Queue.get` in `wait_for` can lose an item on 3.11.)"""
        jobs = [await self._queue.get()]
        size = len(jobs[0].records)
        if size < self.max_batch:
            await asyncio.sleep(self.wait_s)
        while size < self.max_batch and not self._queue.empty():
            job = self._queue.get_nowait()
            jobs.append(job)
            size += len(job.records)
        return jobs

    @staticmethod
    def _deliver(jobs: list[_Job], outputs: list[Outcome]) -> None:
        start = 0
        for job in jobs:
            end = start + len(job.records)
            if not job.future.done():
                job.future.set_result(outputs[start:end])
            start = end
