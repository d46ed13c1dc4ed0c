"""The batch loop in-process: input order, errors, isolation of a failing record, resume after a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.batch.local import LocalEngine
from service.batch.runner import run_batches
from service.batch.sink import ErrorSink, open_sink
from service.errors import InputError, RecordError
from service.outcomes import Failure, Outcome
from service.pipeline import Pipeline
from service.records import METADATA_FIELDS, RECORD_FIELDS, InputRecord, Item, read_records, validate
from tests.batch.conftest import make_records, write_jsonl


def run(source: Path, output: Path, engine, fresh: bool = False, size: int = 8):
    errors = output.with_name(output.stem + ".errors.jsonl")
    return run_batches(read_records(source, 100_000), engine, open_sink(output, fresh),
                       ErrorSink(errors, fresh), size, progress=False)


class Interrupted(LocalEngine):
    """Stops, like a Ctrl-C, after `after` batches."""

    def __init__(self, pipeline: Pipeline, after: int) -> None:
        super().__init__(pipeline)
        self.after = after

    def run(self, batches: Iterator[list[InputRecord]]) -> Iterator[list[Outcome]]:
        for number, outcomes in enumerate(super().run(batches)):
            if number == self.after:
                raise KeyboardInterrupt
            yield outcomes


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "in.jsonl", make_records(60, bad_every=9))


@pytest.fixture(scope="module")
def reference(corpus: Path, pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reference")
    for suffix in (".jsonl", ".csv", ".parquet"):
        summary = run(corpus, out / f"out{suffix}", LocalEngine(pipeline), fresh=True)
        assert (summary.reports, summary.errors) == (54, 6)
    return {suffix: out / f"out{suffix}" for suffix in (".jsonl", ".csv", ".parquet")}


def test_reports_in_input_order_as_the_pipeline_makes_them(corpus: Path, reference, pipeline: Pipeline) -> None:
    valid = [r for r in read_records(corpus, 100_000) if isinstance(r, InputRecord)]
    expected = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pipeline.process(valid).outcomes)
    assert reference[".jsonl"].read_text(encoding="utf-8") == expected  # one batch of 54 or batches of 8: the same
    errors = [json.loads(line) for line in (reference[".jsonl"].parent / "out.errors.jsonl").read_text().splitlines()]
    assert [(e["where"], e["id"], e["field"]) for e in errors] == [
        ("line 9", None, "<record>"), ("line 18", "bad-00017", "text"), ("line 27", None, "<record>"),
        ("line 36", "bad-00035", "text"), ("line 45", None, "<record>"), ("line 54", "bad-00053", "text")]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_an_interrupted_run_resumes_to_the_same_bytes(corpus: Path, reference, pipeline: Pipeline, tmp_path: Path,
                                                      suffix: str) -> None:
    output = tmp_path / f"out{suffix}"
    with pytest.raises(KeyboardInterrupt):
        run(corpus, output, Interrupted(pipeline, after=3), fresh=True)
    if suffix != ".parquet":
        with output.open("a", encoding="utf-8") as handle:
            handle.write('"r00031","PT-' if suffix == ".csv" else '{"id": "r00031", "text": "…')  # a torn write
    summary = run(corpus, output, LocalEngine(pipeline))
    assert summary.resumed_reports + summary.reports == 54 and summary.resumed_reports >= 3 * 8 - 3
    assert output.read_bytes() == reference[suffix].read_bytes()
    errors = output.with_name(output.stem + ".errors.jsonl")
    assert errors.read_bytes() == reference[suffix].with_name("out.errors.jsonl").read_bytes()
    summary = run(corpus, output, LocalEngine(pipeline))  # once more: nothing left to do
    assert (summary.reports, summary.resumed_reports, summary.resumed_errors) == (0, 54, 6)
    assert output.read_bytes() == reference[suffix].read_bytes()


def test_a_record_that_breaks_the_pipeline_is_isolated(corpus: Path, reference, pipeline: Pipeline,
                                                       tmp_path: Path, monkeypatch) -> None:
    real = pipeline.report_batch

    def fragile(records):
        if any(r.id == "r00005" for r in records):
            raise IndexError("would quote the report here")
        return real(records)

    monkeypatch.setattr(pipeline, "report_batch", fragile)
    output = tmp_path / "out.jsonl"
    summary = run(corpus, output, LocalEngine(pipeline), fresh=True)
    assert (summary.reports, summary.errors) == (53, 7)
    expected = [line for line in reference[".jsonl"].read_text().splitlines() if '"id": "r00005"' not in line]
    assert output.read_text().splitlines() == expected
    errors = (tmp_path / "out.errors.jsonl").read_text()
    assert json.loads(errors.splitlines()[0]) == {"where": None, "id": "r00005", "field": None,
                                                  "error": "processing failed (IndexError)"}
    assert "quote the report" not in errors
    assert run(corpus, output, LocalEngine(pipeline)).reports == 0  # the failure counts as done


def test_an_output_of_another_input_is_refused_and_kept(corpus: Path, pipeline: Pipeline, tmp_path: Path) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": "x1", "text": "Lungs clear."}])
    output = tmp_path / "out.jsonl"
    run(other, output, LocalEngine(pipeline), fresh=True)
    kept = output.read_bytes()
    with pytest.raises(InputError, match="does not match the input"):
        run(corpus, output, LocalEngine(pipeline))
    assert output.read_bytes() == kept
    longer = write_jsonl(tmp_path / "longer.jsonl", [{"id": "x1", "text": "Lungs clear."}, {"id": "x2", "text": "Ok."}])
    run(longer, output, LocalEngine(pipeline))
    with pytest.raises(InputError, match="not in the input"):
        run(other, output, LocalEngine(pipeline))


def test_the_input_is_streamed_not_loaded(pipeline: Pipeline, tmp_path: Path) -> None:
    pulled = 0

    def items() -> Iterator[Item]:
        nonlocal pulled
        for n in range(10_000):
            pulled += 1
            yield InputRecord(f"r{n}", "FINDINGS: Clear.") if n % 50 else RecordError(f"line {n + 1}", "text", "empty")

    class Stop(LocalEngine):
        def run(self, batches):
            for outcomes in super().run(batches):
                yield outcomes
                raise KeyboardInterrupt  # after the first batch was written

    with pytest.raises(KeyboardInterrupt):
        run_batches(items(), Stop(pipeline), open_sink(tmp_path / "o.jsonl", True),
                    ErrorSink(tmp_path / "e.jsonl", True), 8, progress=False)
    assert pulled <= 2 * 8 + 1
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 8
    assert Failure("x", "empty").entry() == {"where": None, "id": "x", "field": None, "error": "empty"}


# -- hostile input: arbitrary JSON never stops the run, and every valid record is written -------------------------
CHARACTERS = (st.characters(codec=None, exclude_categories=()) | st.characters(categories=["Cs"])  # lone surrogates
              | st.characters(codec="ascii"))
ANY_TEXT = st.lists(CHARACTERS, max_size=20).map("".join)  # st.text() would drop the surrogates
NUMBERS = st.integers(min_value=-(10**40), max_value=10**40) | st.floats(allow_nan=True, allow_infinity=True)
SCALARS = st.none() | st.booleans() | NUMBERS | ANY_TEXT
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(ANY_TEXT, inner, max_size=3), max_leaves=8)
GOOD_TEXT = st.sampled_from(["FINDINGS: Lungs clear.\nIMPRESSION: Normal.", "No acute disease.",
                             "INDICATION: Cough.\nFINDINGS: Small left effusion."])
NEAR_TEXT = ANY_TEXT.map(lambda t: "Lungs clear " + t)  # mostly valid, sometimes a lone surrogate
MUTATED_RECORDS = st.fixed_dictionaries(  # a plausible record with any field replaced by something hostile
    {"id": ANY_TEXT.map(lambda t: "h" + t) | JSON_VALUES, "text": GOOD_TEXT | NEAR_TEXT | JSON_VALUES},
    optional={"patient_id": NEAR_TEXT | JSON_VALUES,
              "metadata": st.dictionaries(st.sampled_from(METADATA_FIELDS) | ANY_TEXT, NUMBERS | NEAR_TEXT
                                          | JSON_VALUES, max_size=3) | JSON_VALUES},
)
HOSTILE_RECORDS = MUTATED_RECORDS | st.dictionaries(st.sampled_from(RECORD_FIELDS) | ANY_TEXT, JSON_VALUES,
                                                    max_size=4) | JSON_VALUES
GOOD_RECORDS = st.fixed_dictionaries({"text": GOOD_TEXT}, optional={
    "patient_id": st.sampled_from(["P1", "P2", None]),
    "metadata": st.fixed_dictionaries({}, optional={"PatientAge": st.sampled_from(["061Y", 61, 61.5]),
                                                    "PatientWeight": st.floats(0, 300)})})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(st.tuples(st.booleans(), HOSTILE_RECORDS, GOOD_RECORDS), min_size=1, max_size=6))
def test_arbitrary_json_is_refused_per_record_and_every_valid_record_is_written(pipeline: Pipeline, rows) -> None:
    import tempfile

    lines, expected = [], []
    for n, (good, hostile, record) in enumerate(rows):
        raw = {"id": f"g{n}", **record} if good else hostile
        lines.append(json.dumps(raw))  # ASCII-escaped: lone surrogates as \ud800, NaN as the bare literal
        try:
            # the record as the reader sees it: JSON joins a surrogate pair ("\ud87f\udcce") into one character
            expected.append(validate(json.loads(json.dumps(raw)), "", 100_000).id)
        except RecordError:
            pass
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        summary = run(source, Path(folder) / "out.jsonl", LocalEngine(pipeline), fresh=True, size=3)
        strict = {"parse_constant": lambda name: pytest.fail(f"bare {name} written")}
        written = [json.loads(line, **strict) for line in (Path(folder) / "out.jsonl").read_text().splitlines()]
        errors = [json.loads(line, **strict) for line in (Path(folder) / "out.errors.jsonl").read_text().splitlines()]
    assert {f"g{n}" for n, (good, _, _) in enumerate(rows) if good} <= set(expected)
    assert [report["id"] for report in written] == expected
    assert summary.reports == len(expected) and summary.reports + summary.errors == len(lines)
    assert all(e["error"] and e["field"] for e in errors)
