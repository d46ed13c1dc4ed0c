"""`radprep batch INPUT -o OUTPUT`: a whole corpus, resumable, in-process, against a service or on Ray.

Only argparse is imported here; the pipeline, httpx and Ray load once the command runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from service.cli import EXIT_OK, EXIT_RECORD_ERRORS

if TYPE_CHECKING:
    from service.batch.runner import Engine
    from service.settings import Settings

log = logging.getLogger("radprep")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from service.cli import add_pipeline_options

    batch = commands.add_parser(
        "batch",
        help="a whole corpus: streamed, resumable, with progress; in-process, against a service or on Ray",
        description="De-identify and section every record of INPUT (.jsonl, .csv or .parquet) into OUTPUT "
        "(.jsonl, .csv or .parquet), in input order. Rerunning the same command after an interruption "
        "(even kill -9) resumes: records already in OUTPUT are skipped, and every record ends up there once. "
        "Invalid records go to the errors file with their place, id and reason. "
        "Exit status: 0 all records written, 1 some records invalid, 2 the run failed.",
    )
    batch.add_argument("input", type=Path, help="input file: .jsonl, .csv or .parquet")
    batch.add_argument("-o", "--output", type=Path, required=True, help="output file: .jsonl, .csv or .parquet")
    batch.add_argument("--errors", type=Path, help="errors JSONL file (default: OUTPUT with .errors.jsonl)")
    add_pipeline_options(batch)
    batch.add_argument("--server", metavar="URL",
                       help="send the records to a running radprep service (API key: RADPREP_API_KEY)")
    batch.add_argument("--concurrency", type=int, default=4, help="requests in flight with --server (default 4)")
    batch.add_argument("--engine", choices=["local", "ray"], default="local",
                       help="local (default): this process; ray: Ray Data actors, on this machine or a cluster")
    batch.add_argument("--ray-address", metavar="ADDRESS",
                       help="Ray cluster to join (e.g. ray://head:10001 or auto; default: a local Ray)")
    batch.add_argument("--workers", type=int,
                       help="Ray actors, each with its own models (default: one per CPU of the cluster)")
    batch.add_argument("--gpus-per-worker", type=float, default=0.0,
                       help="GPUs per Ray actor, for an in-actor vLLM engine (--backend vllm; default 0)")
    batch.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress bar on stderr (default: when stderr is a terminal)")
    batch.add_argument("--overwrite", action="store_true",
                       help="start afresh: discard OUTPUT and the errors file instead of resuming")
    batch.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from service.batch.runner import count_items, run_batches
    from service.batch.sink import ErrorSink, check_output, open_sink
    from service.errors import ConfigError
    from service.records import read_records
    from service.settings import Settings

    overrides = {k: v for k in ("batch_size", "route", "backend", "mode", "model") if (v := getattr(args, k))}
    settings = Settings(**overrides)
    if args.server and args.engine == "ray":
        raise ConfigError("--server and --engine ray exclude each other")
    if args.ray_address and args.engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")
    secret = b"" if args.server else _secret(settings, args.ephemeral_key)
    errors_path = args.errors or args.output.with_name(args.output.stem + ".errors.jsonl")
    if len({p.resolve() for p in (args.input, args.output, errors_path)}) < 3:
        raise ConfigError("INPUT, OUTPUT and the errors file must be three different files")
    check_output(args.output)
    items = read_records(args.input, settings.max_text_chars)  # fails early on a missing input
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    total = count_items(args.input) if progress else None
    engine = _engine(args, settings, secret)  # before the outputs are touched: a failed start changes nothing
    try:
        started = args.output.exists() or args.output.with_name(args.output.name + ".parts").exists()
        sink = open_sink(args.output, fresh=args.overwrite)
        errors = ErrorSink(errors_path, fresh=args.overwrite or not started)
        summary = run_batches(items, engine, sink, errors, settings.batch_size, progress, total)
    finally:
        engine.close()
    summary.log(args.output, errors_path)
    if summary.errors or summary.resumed_errors:
        return EXIT_RECORD_ERRORS
    errors_path.unlink(missing_ok=True)
    return EXIT_OK


def _secret(settings: Settings, ephemeral: bool) -> bytes:
    if ephemeral:
        log.warning("using an ephemeral key: pseudonyms and date shifts will not match any other run, "
                    "nor a resumed one")
        return secrets.token_bytes(32)
    return settings.secret_bytes()


def _engine(args: argparse.Namespace, settings: Settings, secret: bytes) -> Engine:
    if args.server:
        from service.batch.client import HttpEngine

        return HttpEngine(args.server, args.concurrency, api_key=os.environ.get("RADPREP_API_KEY") or None)
    if args.engine == "ray":
        from service.batch.ray_engine import RayEngine

        return RayEngine(settings, secret, address=args.ray_address, workers=args.workers,
                         gpus_per_worker=args.gpus_per_worker)
    import time

    from service.batch.local import LocalEngine
    from service.pipeline import Pipeline

    started = time.perf_counter()
    pipeline = Pipeline(settings, secret)
    log.info("models loaded in %.1f s", time.perf_counter() - started)
    return LocalEngine(pipeline)
