"""What every command shares: the exit codes, the options that configure the pipeline, and the
settings they make. Only argparse is imported, so command modules stay light and never import the CLI."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.settings import Settings

EXIT_OK, EXIT_RECORD_ERRORS, EXIT_FAILURE, EXIT_INTERRUPTED = 0, 1, 2, 130
PIPELINE_OPTIONS = ("batch_size", "route", "backend", "mode", "model", "allow_weak_secret", "max_report_seconds")


def add_pipeline_options(parser: argparse.ArgumentParser) -> None:
    """The options that configure the pipeline: shared by `process`, `batch` and `serve`."""
    parser.add_argument(
        "--ephemeral-key", action="store_true",
        help="run without RADPREP_SECRET using a random key: pseudonyms and date shifts will not match any other run",
    )
    add_weak_secret_option(parser)
    parser.add_argument("--batch-size", type=int, help="reports per batch (default: RADPREP_BATCH_SIZE or 64)")
    parser.add_argument("--route", choices=["auto", "llm", "rules"],
                        help="auto (default): rules when confident, else the LLM; llm: every report; rules: no LLM")
    parser.add_argument("--backend", choices=["auto", "vllm", "openai", "fake", "rules"],
                        help="LLM backend (default auto: vllm when installed and its model built)")
    parser.add_argument("--mode", choices=["tags", "labels", "spans", "text"],
                        help="LLM output mode (default: the model profile's; spans for openai)")
    parser.add_argument("--model", help="model profile for vllm: a name in models/ or a .toml path")
    parser.add_argument("--max-report-seconds", type=float, metavar="S",
                        help="time budget per report (de-identification and rules; default RADPREP_MAX_REPORT_SECONDS "
                        "or 10): a report past it is an error of its record (timeout)")


def add_weak_secret_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-weak-secret", action="store_true", default=None,
        help="accept a RADPREP_SECRET shorter than 16 bytes (tests, demos; also RADPREP_ALLOW_WEAK_SECRET=1)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """RADPREP_* settings, with the pipeline options given on the command line on top."""
    from service.settings import load_settings

    return load_settings(**{k: v for k in PIPELINE_OPTIONS if (v := getattr(args, k, None))})
