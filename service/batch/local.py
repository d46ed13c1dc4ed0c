"""The in-process engine: one Pipeline in this process, one batch at a time.

Per-record isolation of failures is the pipeline's own (`Pipeline.process`); this engine only runs
it and adds up the counts of each call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from service.records import InputRecord
from service.sections.router import RouteStats

if TYPE_CHECKING:
    from service.outcomes import Outcome
    from service.pipeline import Pipeline


class LocalEngine:
    name = "in-process"

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.stats: RouteStats | None = RouteStats()

    def run(self, batches: Iterator[list[InputRecord]]) -> Iterator[list[Outcome]]:
        for records in batches:
            result = self.pipeline.process(records)
            assert self.stats is not None
            self.stats.add(result.stats)
            yield result.outcomes

    def close(self) -> None:
        self.pipeline.close()
