"""`--engine ray` on a local Ray (2 CPUs): the same bytes as in-process, across two windows (Parquet output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.batch.local import LocalEngine
from service.batch.runner import run_batches
from service.batch.sink import ErrorSink, open_sink
from service.pipeline import Pipeline
from service.records import read_records
from service.settings import Settings
from tests.batch.conftest import SECRET, make_records, write_jsonl

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING",
             runtime_env={"env_vars": {"TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}})
    yield
    ray.shutdown()


def test_ray_writes_the_same_bytes_as_in_process(local_ray, pipeline: Pipeline, rules_settings: Settings,
                                                 tmp_path: Path) -> None:
    from service.batch.ray_engine import RayEngine, Sealed

    source = write_jsonl(tmp_path / "in.jsonl", make_records(44, seed=2, bad_every=11))
    outputs = {}
    engines = {"local": LocalEngine(pipeline), "ray": RayEngine(rules_settings, SECRET, workers=2, window=32)}
    for name, engine in engines.items():
        out = tmp_path / f"{name}.parquet"
        summary = run_batches(read_records(source, 100_000), engine, open_sink(out, True),
                              ErrorSink(tmp_path / f"{name}.errors.jsonl", True), 8, progress=False)
        assert (summary.reports, summary.errors) == (40, 4)
        outputs[name] = out.read_bytes(), (tmp_path / f"{name}.errors.jsonl").read_bytes()
    assert outputs["ray"] == outputs["local"]
    assert engines["ray"].stats is not None and engines["ray"].stats.llm_calls == 0
    assert "hidden" in repr(Sealed(SECRET)) and SECRET.decode() not in repr(Sealed(SECRET))
