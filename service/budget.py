"""A time budget for the work on a report (`RADPREP_MAX_REPORT_SECONDS`), so that one hostile or
broken report can never stall a run or the service.

`time_limit(seconds)` arms a watchdog timer for the block it guards. When the timer fires it raises
`ReportTimeout` in the guarded thread, asynchronously (CPython's `PyThreadState_SetAsyncExc`), at the next
bytecode boundary: Python code is interrupted wherever it is, in any thread (a batcher's worker thread,
the main thread of a worker process, a Ray actor). Code inside one C call (one regex match, a spaCy
batch) finishes that call first; the regexes of `service.deid` and `service.sections` are written to run in
linear time, so that call is short. `Pipeline.process` turns a report that runs out of time into a
`Failure` with the code `timeout`.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


class ReportTimeout(Exception):  # noqa: N818 (the name says what happened, as TimeoutError does)
    """The work on a report (or a batch of them) ran past its time budget."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `ReportTimeout` inside the block once it has run `seconds` (None: no limit)."""
    if seconds is None:
        yield
        return
    thread = threading.get_ident()
    lock = threading.Lock()
    state = {"armed": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["armed"]:
                state["fired"] = True
                _set_async_exc(thread, ReportTimeout)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["armed"] = False
            if state["fired"]:
                # Fired as the block ended: withdraw the exception if it has not been raised yet, so that
                # it cannot surface later in code that has nothing to do with this report.
                _set_async_exc(thread, ctypes.py_object())
        timer.cancel()
