"""The pipeline core: per-record isolation, the counts of each call as values, one patient key."""

from __future__ import annotations

import json

import pytest

from service.backends import FakeBackend
from service.deid import Detector
from service.errors import ConfigError
from service.outcomes import Failure
from service.pipeline import Pipeline
from service.records import InputRecord
from service.settings import Settings

SECRET = b"pipeline-test-secret"
HEADERLESS = "Cough for two weeks. The lungs are clear. No acute disease."
HEADERED = "INDICATION: Cough.\nFINDINGS: Lungs clear.\nIMPRESSION: Normal."


@pytest.fixture(scope="module")
def pipeline(detector: Detector) -> Pipeline:
    return Pipeline(Settings(route="rules"), SECRET, detector=detector)


def test_a_record_that_raises_becomes_a_failure_and_the_batch_goes_on(pipeline: Pipeline, monkeypatch) -> None:
    real = pipeline.report_batch
    records = [InputRecord(f"r{i}", f"FINDINGS: Nodule {i}.\nIMPRESSION: Follow up.") for i in range(4)]

    def fragile(batch):
        if any(r.id == "r2" for r in batch):
            raise KeyError(f"quoting {batch[0].text}")
        return real(batch)

    monkeypatch.setattr(pipeline, "report_batch", fragile)
    result = pipeline.process(records)
    assert [o.id if isinstance(o, Failure) else o["id"] for o in result.outcomes] == ["r0", "r1", "r2", "r3"]
    failure = result.outcomes[2]
    assert failure == Failure("r2", "processing failed (KeyError)", code="processing_failed")
    assert result.stats.reports == 3  # the three records that were sectioned, counted once each


def test_settings_errors_are_not_per_record(pipeline: Pipeline, monkeypatch) -> None:
    def misconfigured(batch):
        raise ConfigError("prompt 'x' not found")

    monkeypatch.setattr(pipeline, "report_batch", misconfigured)
    with pytest.raises(ConfigError):
        pipeline.process([InputRecord("r1", HEADERED)])


def test_fallbacks_are_counted_where_they_happen_not_read_back_from_warnings(detector: Detector) -> None:
    fake = FakeBackend(["not json", json.dumps({"indication": [9, 9]})])
    pipeline = Pipeline(Settings(route="auto"), SECRET, detector=detector, backend=fake)
    result = pipeline.process([InputRecord("h", HEADERED), InputRecord("x", HEADERLESS)])
    stats = result.stats
    assert (stats.reports, stats.rules_used, stats.llm_reports, stats.llm_calls) == (2, 1, 1, 2)
    assert (stats.retries, stats.fallbacks) == (1, 1)
    assert pipeline.process([InputRecord("h", HEADERED)]).stats.fallbacks == 0  # a new call, new counts


@pytest.mark.parametrize("other", [{"patient_id": "pt 77"}, {"metadata": {"PatientID": "PT77"}},
                                   {"patient_id": " Pt77 ", "metadata": {"PatientID": "x"}}])
def test_a_patient_has_one_date_shift_whichever_field_names_them(pipeline: Pipeline, other: dict) -> None:
    text = "FINDINGS: Compared with 03/05/2021.\nIMPRESSION: Stable."
    first = InputRecord("a", text, patient_id="PT77")
    second = InputRecord("b", text, other.get("patient_id"), other.get("metadata", {}))
    a, b = pipeline.process([first, second]).outcomes
    assert isinstance(a, dict) and isinstance(b, dict)
    assert a["text"] == b["text"] != text


def test_metadata_types_are_the_same_from_jsonl_csv_and_parquet(pipeline: Pipeline, tmp_path) -> None:
    """One record, as each input format gives it: the reports' metadata agree, value and type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from service.records import read_records

    row = {"id": "m1", "text": HEADERED, "PatientID": 77123, "StudyDate": 20210305, "PatientAge": 45,
           "PatientWeight": 81, "PatientSex": "M"}
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "m1", "text": HEADERED, "metadata": {
        k: v for k, v in row.items() if k not in ("id", "text")}}) + "\n")
    (tmp_path / "in.csv").write_text("id,text,PatientID,StudyDate,PatientAge,PatientWeight,PatientSex\n"
                                     f'm1,"{HEADERED}",77123,20210305,45,81,M\n')
    pq.write_table(pa.Table.from_pylist([row]), tmp_path / "in.parquet")
    metadata = []
    for name in ("in.jsonl", "in.csv", "in.parquet"):
        [record] = read_records(tmp_path / name, 10_000)
        [report] = pipeline.process([record]).outcomes
        metadata.append(json.dumps(report["metadata"], sort_keys=True))
    assert metadata[0] == metadata[1] == metadata[2]
    types = {k: type(v).__name__ for k, v in json.loads(metadata[0]).items()}
    assert types == {"PatientID": "str", "StudyDate": "str", "PatientAge": "str", "PatientWeight": "float",
                     "PatientSex": "str"}
