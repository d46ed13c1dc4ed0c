"""The `radprep` command line.

Errors reach the user here as one line on stderr and a non-zero exit; nothing printed here contains
report text or other PHI (record errors name the line, the id and the field only). An unexpected
exception prints its type only; `--debug` adds its traceback (no local variables). Exit codes live in
`service.options`, beside the options every command shares.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from service import __version__
from service.batch.command import PROCESS_DEFAULTS, run_process
from service.errors import RadprepError
from service.options import EXIT_FAILURE, EXIT_INTERRUPTED, add_pipeline_options

log = logging.getLogger("radprep")

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
    parser.add_argument("--debug", action="store_true",
                        help="on an internal error, also print its traceback (it may show report text)")
    commands = parser.add_subparsers(dest="command", required=True)
    process = commands.add_parser(
        "process",
        help="de-identify and section every report of a JSONL, CSV or Parquet file",
        description="Read records {id, text, patient_id?, metadata?} from INPUT (.jsonl, .csv or .parquet) "
        "and write one report per valid record to OUTPUT (.jsonl, .csv or .parquet), in input order: "
        "`radprep batch` in this process, always from scratch. OUTPUT and the errors file are written "
        "under names with .incomplete before the extension and renamed when the run is complete, so an "
        "interrupted run leaves OUTPUT as it was. Invalid records, and records the pipeline fails on, go to "
        "the errors file with their line number, id and field; the others are still processed. "
        "Exit status: 0 all records written, 1 some records invalid or failed, or more than "
        "RADPREP_MAX_FALLBACK_SHARE of the reports sent to the LLM fell back to the rules, 2 the run failed "
        "(e.g. a named LLM backend that cannot answer).",
    )
    process.add_argument("input", type=Path, metavar="INPUT", help="input file: .jsonl, .csv or .parquet")
    process.add_argument("-o", "--output", type=Path, required=True,
                         help="output file: .jsonl, .csv or .parquet")
    process.add_argument("--errors", type=Path, help="errors JSONL file (default: OUTPUT with .errors.jsonl)")
    add_pipeline_options(process)
    process.set_defaults(run=run_process, **PROCESS_DEFAULTS)
    compare = commands.add_parser(
        "compare",
        help="agreement per section between two runs (e.g. a local model versus GPT-4o)",
        description="Compare the sections of two `radprep process` or `batch` outputs (.jsonl, .csv or .parquet, "
        "by extension) record by record (matched by id): exact-match rate and mean token-F1 per section, and "
        "the ids where they disagree.",
    )
    compare.add_argument("a", type=Path, metavar="A", help="first output: .jsonl, .csv or .parquet")
    compare.add_argument("b", type=Path, metavar="B", help="second output: .jsonl, .csv or .parquet")
    compare.add_argument("--json", type=Path, help="also write the figures and disagreeing ids as JSON")
    compare.add_argument("--show", type=int, default=20, help="disagreeing ids to list per section (default 20)")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="radprep: %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)  # third-party loggers (spaCy, uvicorn) stay at WARNING
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compare":
            from service.compare import run_compare

            return run_compare(args.a, args.b, args.json, args.show)
        return int(args.run(args))
    except RadprepError as exc:
        print(f"radprep: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("radprep: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: its message and its traceback's values may quote report text
        print(f"radprep: internal error ({type(exc).__name__}, code internal); nothing of the input is shown; "
              "rerun with --debug for the traceback", file=sys.stderr)
        if args.debug:
            traceback.print_exception(exc, file=sys.stderr)  # frames and lines, never local variables
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
