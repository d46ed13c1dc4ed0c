"""The four front-ends of the one pipeline core: `radprep process`, `radprep batch`, `batch --server` and
`batch --engine ray` write the same bytes for the same input, and each isolates a record that makes the
pipeline raise (a PHI-free entry in the errors file; the exception's text, which quotes the report, is
never shown: not on stderr, in the logs or in the errors file)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.cli import main
from service.deid import Detector
from service.pipeline import Pipeline
from service.records import InputRecord, read_records
from service.settings import Settings
from tests.batch.conftest import make_records, serving_over_http, write_jsonl

SECRET = "frontends-secret"
BOOM = {"id": "boom", "patient_id": "PT-3",
        "text": "FINDINGS: Lungs clear. Patient Zebediah Quillfeather, MRN 90817263, seen 02/29/2020.\n"
                "IMPRESSION: Normal."}
PHI = ("Zebediah", "Quillfeather", "90817263", "02/29/2020")
FRONT_ENDS = ["process", "batch", "server", "ray"]


def fragile(real: Callable[..., object]) -> Callable[..., object]:
    """Pipeline.report_batch that raises, quoting the report, on a batch holding the BOOM record."""

    def report_batch(self: Pipeline, records: list[InputRecord]) -> object:
        for record in records:
            if record.id == BOOM["id"]:
                raise IndexError(f"choked on {record.text!r}")
        return real(self, records)

    return report_batch


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = make_records(30, seed=5, bad_every=10)
    rows.insert(13, BOOM)
    return write_jsonl(tmp_path_factory.mktemp("frontends") / "in.jsonl", rows)


@pytest.fixture(scope="module")
def expected(corpus: Path, detector: Detector) -> tuple[str, list[dict[str, object]]]:
    """The output the pipeline gives for every valid record but BOOM, and the errors in input order."""
    pipeline = Pipeline(Settings(route="rules"), SECRET.encode(), detector=detector)
    items = list(read_records(corpus, 100_000))
    valid = [r for r in items if isinstance(r, InputRecord) and r.id != BOOM["id"]]
    output = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pipeline.process(valid).outcomes)
    errors: list[dict[str, object]] = [
        {"where": e.where, "id": e.record_id, "field": e.field, "error": e.problem}
        if not isinstance(e, InputRecord) else
        {"where": None, "id": BOOM["id"], "field": None, "error": "processing failed (IndexError)"}
        for e in items if not isinstance(e, InputRecord) or e.id == BOOM["id"]
    ]
    return output, errors


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPREP_SECRET", SECRET)
    monkeypatch.setenv("RADPREP_ROUTE", "rules")
    monkeypatch.setenv("RADPREP_BATCH_SIZE", "8")
    monkeypatch.setattr(Pipeline, "report_batch", fragile(Pipeline.report_batch))


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this module

    def install_fault() -> None:  # runs in every Ray worker: the same fault as in this process
        from service.pipeline import Pipeline

        Pipeline.report_batch = fragile(Pipeline.report_batch)  # type: ignore[method-assign]

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING",
             runtime_env={"env_vars": {"TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""},
                          "worker_process_setup_hook": install_fault})
    yield
    ray.shutdown()


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_every_front_end_writes_the_same_bytes_and_isolates_a_failing_record(
        front_end: str, corpus: Path, expected: tuple[str, list[dict[str, object]]], environment: None,
        detector: Detector, tmp_path: Path, request: pytest.FixtureRequest, capfd: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    output = tmp_path / "out.jsonl"
    args = ["process" if front_end == "process" else "batch", str(corpus), "-o", str(output)]
    if front_end == "ray":
        request.getfixturevalue("local_ray")
        code = main([*args, "--engine", "ray", "--workers", "2"])
    elif front_end == "server":
        from service.api.app import create_app

        settings = Settings(route="rules", batch_size=8)
        app = create_app(settings, Pipeline(settings, SECRET.encode(), detector=detector))
        with serving_over_http(app) as url:
            code = main([*args, "--server", url, "--concurrency", "2"])
    else:
        code = main(args)
    assert code == 1  # some records invalid or failed; all the others written
    expected_output, expected_errors = expected
    assert output.read_text(encoding="utf-8") == expected_output
    errors_text = (tmp_path / "out.errors.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line) for line in errors_text.splitlines()] == expected_errors
    shown = capfd.readouterr().err + caplog.text + errors_text
    assert "IndexError" in shown
    for value in PHI:
        assert value not in shown, value
    assert not list(tmp_path.glob("*.incomplete*"))
