"""benchmarks/make_corpus.py: deterministic, the layout and patient mix it promises, valid input records,
and PHI in the text that de-identification replaces."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import make_corpus as mc
from service.deid import Deidentifier
from service.records import METADATA_FIELDS, read_records, validate


@pytest.fixture(scope="module")
def corpus() -> list[mc.CorpusReport]:
    return list(mc.generate(4000, seed=7))


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another() -> None:
    first = [r.record for r in mc.generate(300, seed=1)]
    assert first == [r.record for r in mc.generate(300, seed=1)]
    assert first != [r.record for r in mc.generate(300, seed=2)]


def test_layouts_follow_the_promised_mix_with_about_85_percent_headered(corpus: list[mc.CorpusReport]) -> None:
    shares = Counter(r.layout for r in corpus)
    for layout, share in mc.LAYOUTS.items():
        assert shares[layout] / len(corpus) == pytest.approx(share, abs=0.025), layout
    headered = sum(v for k, v in shares.items() if k not in mc.HEADERLESS_LAYOUTS) / len(corpus)
    assert 0.82 <= headered <= 0.88
    headerless = next(r for r in corpus if r.layout == "headerless").record["text"]
    assert "FINDINGS" not in str(headerless) and "IMPRESSION" not in str(headerless)


def test_patients_have_about_1_46_studies_and_the_metadata_of_the_release(corpus: list[mc.CorpusReport]) -> None:
    patients = Counter(r.record["patient_id"] for r in corpus)
    assert len(corpus) / len(patients) == pytest.approx(mc.STUDIES_PER_PATIENT, abs=0.08)
    assert max(patients.values()) > 2
    ages = [int(str(r.record["metadata"]["PatientAge"])[:3]) for r in corpus]  # type: ignore[index]
    assert any(a >= 90 for a in ages) and all(18 <= a <= 130 for a in ages)
    for report in corpus[:200]:
        record = validate(report.record, "test", 100_000)
        assert set(record.metadata) <= set(METADATA_FIELDS) and record.metadata["PatientID"] == record.patient_id
        assert len(str(record.metadata["StudyDate"])) == 8


def test_the_written_jsonl_and_parquet_read_back_as_valid_records(tmp_path: Path) -> None:
    out = tmp_path / "corpus.jsonl"
    summary = mc.write(mc.generate(50, seed=3), out, parquet=True)
    assert summary["reports"] == 50 and sum(summary["layouts"].values()) == pytest.approx(1.0)  # type: ignore[union-attr]
    for path in (out, out.with_suffix(".parquet")):
        records = list(read_records(path, 100_000))
        assert len(records) == 50 and all(not isinstance(r, Exception) for r in records)
    assert json.loads(out.read_text().splitlines()[0])["id"] == "syn-000001"


def test_the_text_carries_phi_that_the_deidentifier_replaces(corpus: list[mc.CorpusReport],
                                                              deidentifier: Deidentifier) -> None:
    sample = corpus[:300]
    assert sum(len(r.phi) for r in sample) > 600  # names, dates, phones, MRNs, accessions in the text
    texts = [str(r.record["text"]) for r in sample]
    results = deidentifier.deidentify_batch(texts, [f"patient:{r.record['patient_id']}" for r in sample])
    values = [(value, result.text) for report, result in zip(sample, results, strict=True) for value in report.phi]
    left = [value for value, text in values if value in text]
    assert len(left) / len(values) < 0.03
