"""The `radprep` command line.

Errors reach the user here as one line on stderr and a non-zero exit; nothing printed here contains
report text or other PHI (record errors name the line, the id and the field only).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import secrets
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from service import __version__
from service.errors import RadprepError, RecordError
from service.records import InputRecord, read_records
from service.settings import Settings

log = logging.getLogger("radprep")

EXIT_OK, EXIT_RECORD_ERRORS, EXIT_FAILURE = 0, 1, 2

# Commands that live beside their subpackage. Each module has `add_parser(commands)`, which adds its
# subparser and sets `run=<function(args) -> exit status>` as a default; it imports nothing heavy at
# module level, so `radprep --help` stays fast.
COMMAND_MODULES = (
    "service.batch.command",
    "service.api.command",
    "service.dataset.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="radprep",
        description="De-identify raw chest X-ray reports and split them into indication, comparison, "
        "findings and impression.",
    )
    parser.add_argument("--version", action="version", version=f"radprep {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    process = commands.add_parser(
        "process",
        help="de-identify and section every report of a JSONL, CSV or Parquet file",
        description="Read records {id, text, patient_id?, metadata?} from INPUT (.jsonl, .csv or .parquet) "
        "and write one JSON line per valid record to OUTPUT, in input order. Invalid records go to the "
        "errors file with their line number, id and field; the others are still processed. "
        "Exit status: 0 all records written, 1 some records invalid, 2 the run failed.",
    )
    process.add_argument("input", type=Path, help="input file: .jsonl, .csv or .parquet")
    process.add_argument("-o", "--output", type=Path, required=True, help="output JSONL file")
    process.add_argument("--errors", type=Path, help="errors JSONL file (default: OUTPUT with .errors.jsonl)")
    add_pipeline_options(process)
    compare = commands.add_parser(
        "compare",
        help="agreement per section between two runs (e.g. a local model versus GPT-4o)",
        description="Compare the sections of two `radprep process` outputs record by record (matched by id): "
        "exact-match rate and mean token-F1 per section, and the ids where they disagree.",
    )
    compare.add_argument("a", type=Path, help="first output JSONL")
    compare.add_argument("b", type=Path, help="second output JSONL")
    compare.add_argument("--json", type=Path, help="also write the figures and disagreeing ids as JSON")
    compare.add_argument("--show", type=int, default=20, help="disagreeing ids to list per section (default 20)")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(commands)
    return parser


def add_pipeline_options(parser: argparse.ArgumentParser) -> None:
    """The options that configure the pipeline: shared by `process` and `batch`."""
    parser.add_argument(
        "--ephemeral-key", action="store_true",
        help="run without RADPREP_SECRET using a random key: pseudonyms and date shifts will not match any other run",
    )
    parser.add_argument("--batch-size", type=int, help="reports per batch (default: RADPREP_BATCH_SIZE or 64)")
    parser.add_argument("--route", choices=["auto", "llm", "rules"],
                        help="auto (default): rules when confident, else the LLM; llm: every report; rules: no LLM")
    parser.add_argument("--backend", choices=["auto", "vllm", "openai", "fake", "rules"],
                        help="LLM backend (default auto: vllm when installed and its model built)")
    parser.add_argument("--mode", choices=["spans", "text"], help="LLM output mode (default spans)")
    parser.add_argument("--model", help="model profile for vllm: a name in models/ or a .toml path")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="radprep: %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)  # third-party loggers (presidio, spaCy) stay at WARNING
    args = build_parser().parse_args(argv)
    try:
        if args.command == "process":
            return _process(args)
        if args.command == "compare":
            from service.compare import run_compare

            return run_compare(args.a, args.b, args.json, args.show)
        return int(args.run(args))
    except RadprepError as exc:
        print(f"radprep: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("radprep: interrupted", file=sys.stderr)
        return 130


def _process(args: argparse.Namespace) -> int:
    overrides = {k: v for k in ("batch_size", "route", "backend", "mode", "model") if (v := getattr(args, k))}
    settings = Settings(**overrides)
    if args.ephemeral_key:
        secret = secrets.token_bytes(32)
        log.warning("using an ephemeral key: pseudonyms and date shifts will not match any other run")
    else:
        secret = settings.secret_bytes()
    records = read_records(args.input, settings.max_text_chars)  # fails early on a missing file

    from service.pipeline import Pipeline  # loads spaCy: only once the arguments are good

    started = time.perf_counter()
    pipeline = Pipeline(settings, secret)
    log.info("models loaded in %.1f s", time.perf_counter() - started)
    errors_path = args.errors or args.output.with_name(args.output.stem + ".errors.jsonl")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    written = failed = 0
    started = time.perf_counter()
    with args.output.open("w", encoding="utf-8") as out, errors_path.open("w", encoding="utf-8") as errors:
        for batch, bad in _batches(records, settings.batch_size):
            failed += _write_errors(errors, bad)
            for line in pipeline.process(batch):
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += len(batch)
            out.flush()
    elapsed = time.perf_counter() - started
    rate = written / elapsed if elapsed > 0 else 0.0
    log.info("%d records written to %s (%.1f reports/s)", written, args.output, rate)
    stats = pipeline.router.stats
    log.info("sections: %d by rules, %d to the LLM (%d calls, %.2f per report), %d retries, %d fallbacks",
             stats.rules_used, stats.llm_reports, stats.llm_calls, stats.as_dict()["llm_calls_per_report"],
             stats.retries, stats.fallbacks)
    if failed:
        log.warning("%d invalid records skipped; see %s", failed, errors_path)
        return EXIT_RECORD_ERRORS
    errors_path.unlink(missing_ok=True)
    return EXIT_OK


Batch = tuple[list[InputRecord], list[RecordError]]


def _batches(items: Iterable[InputRecord | RecordError], size: int) -> Iterator[Batch]:
    batch: list[InputRecord] = []
    bad: list[RecordError] = []
    for item in items:
        if isinstance(item, RecordError):
            bad.append(item)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch, bad
            batch, bad = [], []
    if batch or bad:
        yield batch, bad


def _write_errors(handle: TextIO, errors: list[RecordError]) -> int:
    for exc in errors:
        log.warning("%s", exc)
        entry = {"where": exc.where, "id": exc.record_id, "field": exc.field, "error": exc.problem}
        handle.write(json.dumps(entry) + "\n")
    return len(errors)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
