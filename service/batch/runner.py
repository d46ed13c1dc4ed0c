"""The batch loop: input → skip what is written → batches → engine → sinks, with progress and a summary.

Memory stays flat: the input is streamed, an engine holds a bounded window of batches, reports are
written as their batch completes. Batches are cut at fixed positions of the stream of valid records
(multiples of the batch size, counted from the start of the input, also after a resume), so each
report is computed in the same company whatever the engine, its concurrency or an interruption.
For each batch the errors are made durable first, then the reports (see `resume`).
"""

from __future__ import annotations

import csv
import itertools
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from service.batch.resume import Resume
from service.batch.sink import ErrorSink, Sink
from service.errors import BackendError
from service.outcomes import Failure, Outcome
from service.records import InputRecord, Item
from service.sections.router import RouteStats

log = logging.getLogger("radprep")


class Engine(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def stats(self) -> RouteStats | None:
        """The counts of every batch run so far; None: the engine cannot know them."""
        ...

    def run(self, batches: Iterator[list[InputRecord]]) -> Iterator[list[Outcome]]:
        """One list of outcomes per batch, in order; at most a bounded window of batches in flight."""
        ...

    def close(self) -> None: ...


class LazyEngine:
    """An engine built by `factory` when the first batch comes, so that a run with nothing left to do (a
    finished run resumed) loads no model; `start` builds it at once."""

    def __init__(self, factory: Callable[[], Engine]) -> None:
        self._factory = factory
        self._engine: Engine | None = None

    def start(self) -> Engine:
        if self._engine is None:
            self._engine = self._factory()
        return self._engine

    @property
    def name(self) -> str:
        return self._engine.name if self._engine is not None else "nothing to do: no engine started"

    @property
    def stats(self) -> RouteStats | None:
        return self._engine.stats if self._engine is not None else RouteStats()

    def run(self, batches: Iterator[list[InputRecord]]) -> Iterator[list[Outcome]]:
        first = next(batches, None)
        if first is None:
            return
        yield from self.start().run(itertools.chain([first], batches))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


@dataclass
class Summary:
    engine: str
    reports: int = 0  # written by this run
    errors: int = 0
    resumed_reports: int = 0  # already in the output
    resumed_errors: int = 0
    fallbacks: int | None = None
    llm_calls: int | None = None
    llm_reports: int | None = None  # reports sent to the LLM (each may take a retry)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.reports / self.seconds if self.seconds > 0 else 0.0

    @property
    def fallback_share(self) -> float | None:
        """Of the reports sent to the LLM, the share that fell back to the rules; None: none sent, or not known."""
        if not self.llm_reports or self.fallbacks is None:
            return None
        return self.fallbacks / self.llm_reports

    def too_many_fallbacks(self, limit: float) -> bool:
        share = self.fallback_share
        return share is not None and share > limit

    def log(self, output: Path, errors: Path, max_fallback_share: float = 1.0) -> None:
        calls = "LLM calls not reported" if self.llm_calls is None else f"{self.llm_calls} LLM calls"
        fallbacks = "fallbacks not reported" if self.fallbacks is None else f"{self.fallbacks} fallbacks"
        if self.fallback_share is not None:
            fallbacks += f" ({self.fallback_share:.0%} of {self.llm_reports} reports sent to the LLM)"
        log.info("%d reports written to %s in %.1f s (%.1f reports/s, %s)%s", self.reports, output, self.seconds,
                 self.rate, self.engine, f"; {self.resumed_reports} were there already" if self.resumed_reports
                 else "")
        log.info("%d errors%s, %s, %s to the rules", self.errors + self.resumed_errors,
                 f" (see {errors})" if self.errors + self.resumed_errors else "", calls, fallbacks)
        if self.too_many_fallbacks(max_fallback_share):
            log.warning("the LLM failed for %d of %d reports (%.0f%%: backend errors or rejected answers), more than "
                        "RADPREP_MAX_FALLBACK_SHARE=%g: those reports have the rules' sections; exit status 1",
                        self.fallbacks, self.llm_reports, 100 * (self.fallback_share or 0), max_fallback_share)


@dataclass
class _Batch:
    records: list[InputRecord]
    positions: list[int]  # of each record in the input stream
    bad: list[tuple[int, Failure]]  # unreadable records met while filling the batch


def cut_batches(items: Iterable[Item], size: int, resume: Resume) -> Iterator[_Batch]:
    batch = _Batch([], [], [])
    limit = 0
    for position, item in enumerate(items):
        if not isinstance(item, InputRecord):
            batch.bad.append((position, Failure.from_record_error(item)))
            if len(batch.bad) >= size and not batch.records:
                yield batch
                batch = _Batch([], [], [])
            continue
        if not limit:  # the first new record: resume where an uninterrupted run would cut
            limit = size - resume.done_records % size
        batch.records.append(item)
        batch.positions.append(position)
        if len(batch.records) >= limit:
            yield batch
            batch, limit = _Batch([], [], []), size
    if batch.records or batch.bad:
        yield batch


def count_items(path: Path) -> int | None:
    """Records in the input, for the progress bar's ETA (a line count; Parquet: its metadata)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if suffix == ".csv":
            with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
                return max(0, sum(1 for _ in csv.reader(handle)) - 1)
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except Exception:  # the reader reports unreadable files properly; no ETA then
        return None


def run_batches(items: Iterable[Item], engine: Engine, sink: Sink, errors: ErrorSink, batch_size: int,
                progress: bool, total: int | None = None,
                on_written: Callable[[list[InputRecord]], None] | None = None) -> Summary:
    """Process every input item not yet written; closes the sinks (complete only when all went well).
    `on_written(records)` is called once each batch's reports and errors are durable."""
    summary = Summary(engine.name)
    resume = Resume(sink.written_ids(), errors.written(), sink.path.name)
    waiting: deque[_Batch] = deque()
    bar: Any = None

    def feed() -> Iterator[list[InputRecord]]:
        nonlocal bar
        for batch in cut_batches(resume.pending(items), batch_size, resume):
            if bar is None:
                bar = _progress_bar(progress, total, resume.done_reports + resume.done_errors)
            waiting.append(batch)
            yield batch.records

    complete = False
    started = time.perf_counter()
    try:
        with _redirect_logging(progress):
            for outcomes in engine.run(feed()):
                batch = waiting.popleft()
                _write(batch, outcomes, sink, errors, summary)
                if on_written is not None:
                    on_written(batch.records)
                bar.update(len(outcomes) + len(batch.bad))
        complete = True
    finally:
        summary.seconds = time.perf_counter() - started
        summary.engine = engine.name
        if bar is not None:
            bar.close()
        errors.close(complete)
        sink.close(complete)
    summary.resumed_reports, summary.resumed_errors = resume.done_reports, resume.done_errors
    if engine.stats is not None:
        summary.llm_calls, summary.fallbacks = engine.stats.llm_calls, engine.stats.fallbacks
        summary.llm_reports = engine.stats.llm_reports
    return summary


def _write(batch: _Batch, outcomes: list[Outcome], sink: Sink, errors: ErrorSink, summary: Summary) -> None:
    if len(outcomes) != len(batch.records):
        raise BackendError(f"engine returned {len(outcomes)} results for {len(batch.records)} records")
    failures = list(batch.bad)
    reports: list[dict[str, Any]] = []
    for position, outcome in zip(batch.positions, outcomes, strict=True):
        if isinstance(outcome, Failure):
            failures.append((position, outcome))
        else:
            reports.append(outcome)
    if failures:
        errors.write([failure.entry() for _, failure in sorted(failures, key=lambda f: f[0])])
        errors.commit()
        for _, failure in failures:
            log.warning("%s: %s", failure.where or f"id {failure.id!r}", failure.error)
    if reports:
        sink.write(reports)
        sink.commit()
    summary.errors += len(failures)
    summary.reports += len(reports)


def _progress_bar(enabled: bool, total: int | None, done: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="report", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True, smoothing=0.1)


def _redirect_logging(enabled: bool) -> Any:
    if not enabled:
        return nullcontext()
    from tqdm.contrib.logging import logging_redirect_tqdm

    return logging_redirect_tqdm()
