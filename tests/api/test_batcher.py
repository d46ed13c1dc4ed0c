"""The micro-batcher: concurrent submissions share pipeline calls, results go back in order, a full
queue refuses with a retry hint, a cancelled submission is dropped, an error reaches every caller."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from service.api.batcher import Batcher
from service.errors import OverloadedError
from service.records import InputRecord

pytestmark = pytest.mark.anyio


def records(prefix: str, n: int) -> list[InputRecord]:
    return [InputRecord(f"{prefix}{i}", f"text {i}") for i in range(n)]


class Recorder:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[list[str]] = []
        self.gate = gate

    def __call__(self, batch: list[InputRecord]) -> list[dict[str, Any]]:
        if self.gate is not None:
            self.gate.wait(10)
        self.calls.append([r.id for r in batch])
        return [{"id": r.id} for r in batch]


async def test_concurrent_submissions_share_a_call_and_keep_their_order() -> None:
    process = Recorder()
    batcher = Batcher(process, max_batch=64, max_queue=100, wait_s=0.05)
    batcher.start()
    try:
        results = await asyncio.gather(*(batcher.submit(records(f"r{j}-", 3)) for j in range(5)))
    finally:
        await batcher.stop()
    assert results == [[{"id": f"r{j}-{i}"} for i in range(3)] for j in range(5)]
    assert len(process.calls) == 1 and len(process.calls[0]) == 15
    assert batcher.pending == 0


async def test_batches_stop_at_max_batch() -> None:
    process = Recorder()
    batcher = Batcher(process, max_batch=4, max_queue=100, wait_s=0.05)
    batcher.start()
    try:
        await asyncio.gather(*(batcher.submit(records(f"m{j}-", 2)) for j in range(4)))
    finally:
        await batcher.stop()
    assert [len(call) for call in process.calls] == [4, 4]


async def test_a_full_queue_refuses_with_retry_after() -> None:
    gate = threading.Event()
    batcher = Batcher(Recorder(gate), max_batch=2, max_queue=4, wait_s=0)
    batcher.start()
    try:
        first = asyncio.create_task(batcher.submit(records("a", 3)))
        await asyncio.sleep(0.05)
        with pytest.raises(OverloadedError) as refused:
            await batcher.submit(records("b", 2))
        assert refused.value.status == 429 and refused.value.retry_after >= 1
        gate.set()
        assert len(await first) == 3
        assert len(await batcher.submit(records("c", 4))) == 4  # room again once the work is done
    finally:
        gate.set()
        await batcher.stop()


async def test_a_cancelled_submission_is_dropped_before_its_batch_starts() -> None:
    gate = threading.Event()
    process = Recorder(gate)
    batcher = Batcher(process, max_batch=1, max_queue=10, wait_s=0)
    batcher.start()
    try:
        busy = asyncio.create_task(batcher.submit(records("busy", 1)))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(batcher.submit(records("late", 1)), 0.05)
        gate.set()
        await busy
        await batcher.submit(records("after", 1))
    finally:
        await batcher.stop()
    assert process.calls == [["busy0"], ["after0"]]
    assert batcher.pending == 0


async def test_an_error_reaches_every_caller_of_the_batch() -> None:
    def broken(batch: list[InputRecord]) -> list[dict[str, Any]]:
        raise RuntimeError("engine down")

    batcher = Batcher(broken, max_batch=8, max_queue=10, wait_s=0.05)
    batcher.start()
    try:
        outcomes = await asyncio.gather(*(batcher.submit(records(f"e{j}", 1)) for j in range(3)),
                                        return_exceptions=True)
    finally:
        await batcher.stop()
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert batcher.pending == 0
