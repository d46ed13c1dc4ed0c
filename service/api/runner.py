"""Where the pipeline runs for the service: in a thread of the server process (a pipeline handed in, as
tests and embedders do), or in a worker process of its own (`radprep serve`).

De-identification is CPU-bound Python: in a thread it holds the GIL, and the event loop parsing and
answering requests waits for it. In its own process it runs on another core while the event loop keeps
answering. The worker process loads the models (the LLM engine included) once, at start-up; if it dies
(killed for memory, a crash in an engine), the batch in work fails with 503 and a new worker starts.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from service.backends.choice import BackendChoice
from service.errors import NotReadyError
from service.outcomes import BatchResult
from service.pipeline import Pipeline
from service.records import InputRecord
from service.settings import Settings

log = logging.getLogger("radprep")


PipelineInfo = BackendChoice  # what the pipeline really uses, as /readyz reports it


def build_pipeline(settings: Settings, secret: bytes) -> Pipeline:
    pipeline = Pipeline(settings, secret)
    if pipeline.backend is not None:
        pipeline.backend.start()  # an in-process engine loads its model now, not at the first report
    return pipeline


def _info(pipeline: Pipeline) -> PipelineInfo:
    return pipeline.choice


class ThreadRunner:
    """A pipeline already built, run in the caller's thread (the batcher's worker thread)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.info = _info(pipeline)

    def process(self, records: list[InputRecord]) -> BatchResult:
        return self.pipeline.process(records)

    def close(self) -> None:
        self.pipeline.close()


# -- the worker process ------------------------------------------------------------------------------
_worker_pipeline: Pipeline | None = None


def _worker_init(settings: Settings, secret: bytes) -> None:
    global _worker_pipeline
    logging.basicConfig(level=logging.WARNING, format="radprep worker: %(message)s")
    _worker_pipeline = build_pipeline(settings, secret)


def _worker_info() -> PipelineInfo:
    assert _worker_pipeline is not None
    return _info(_worker_pipeline)


def _worker_process(records: list[InputRecord]) -> BatchResult:
    assert _worker_pipeline is not None
    return _worker_pipeline.process(records)


class ProcessRunner:
    """The pipeline in one worker process ("spawn": no state inherited from the server's threads)."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self._settings = settings
        self._secret = secret
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        self.info = self._pool.submit(_worker_info).result()  # waits for the models to load

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=(self._settings, self._secret))

    def process(self, records: list[InputRecord]) -> BatchResult:
        pool = self._pool
        try:
            return pool.submit(_worker_process, records).result()
        except BrokenProcessPool:
            log.error("the pipeline worker process died; starting a new one")
            with self._lock:
                if self._pool is pool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
            raise NotReadyError("the pipeline worker stopped and is restarting", retry_after=10) from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


Runner = ThreadRunner | ProcessRunner
