"""The time budget: a watchdog that interrupts Python code in the thread it guards."""

from __future__ import annotations

import threading
import time

import pytest

from service.budget import ReportTimeout, time_limit


def _spin(seconds: float) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pass


def test_a_loop_past_its_budget_is_interrupted() -> None:
    started = time.monotonic()
    with pytest.raises(ReportTimeout), time_limit(0.2):
        _spin(30)
    assert time.monotonic() - started < 10


def test_work_within_its_budget_is_left_alone() -> None:
    with time_limit(5):
        _spin(0.05)
    with time_limit(None):
        _spin(0.05)


def test_a_worker_thread_is_interrupted_and_not_the_main_thread() -> None:
    caught: list[BaseException] = []

    def work() -> None:
        try:
            with time_limit(0.2):
                _spin(30)
        except ReportTimeout as exc:
            caught.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    _spin(0.5)  # the main thread runs on, uninterrupted
    thread.join(timeout=30)
    assert not thread.is_alive() and len(caught) == 1


def test_a_budget_that_fires_as_its_block_ends_leaves_no_exception_behind() -> None:
    # Blocks that end right around their limit: whatever the race, no ReportTimeout escapes later.
    for _ in range(200):
        try:
            with time_limit(0.002):
                _spin(0.002)
        except ReportTimeout:
            pass
    _spin(0.2)  # a stray pending exception would be raised here
