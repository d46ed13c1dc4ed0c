"""`radprep batch INPUT -o OUTPUT`: a whole corpus, resumable, in-process, against a service or on Ray.

Only argparse is imported here; the pipeline, httpx and Ray load once the command runs.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from service.options import EXIT_OK, EXIT_RECORD_ERRORS, add_pipeline_options

if TYPE_CHECKING:
    from collections.abc import Iterator

    from service.batch.runner import Engine
    from service.records import Item
    from service.settings import Settings

log = logging.getLogger("radprep")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    batch = commands.add_parser(
        "batch",
        help="a whole corpus: streamed, resumable, with progress; in-process, against a service or on Ray",
        description="De-identify and section every record of INPUT (.jsonl, .csv or .parquet) into OUTPUT "
        "(.jsonl, .csv or .parquet), in input order. Rerunning the same command after an interruption "
        "(even kill -9) resumes: records already in OUTPUT are skipped, and every record ends up there once. "
        "Invalid records go to the errors file with their place, id and reason. "
        "One run per output: a second run on the same OUTPUT (locked in OUTPUT.lock) exits 2 at once. "
        "A resume must have the same secret, options and input as the run it continues (checked against "
        "OUTPUT.manifest.json; exit 2 if not). "
        "Exit status: 0 all records written, 1 some records invalid or more than RADPREP_MAX_FALLBACK_SHARE of "
        "the reports sent to the LLM fell back to the rules, 2 the run failed (e.g. a named LLM backend that "
        "cannot answer, or a resume that does not match its manifest).",
    )
    batch.add_argument("input", type=Path, metavar="INPUT", help="input file: .jsonl, .csv or .parquet")
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
    """`radprep batch`: resumable, any engine."""
    return run_corpus(args, staged=False)


PROCESS_DEFAULTS = {"server": None, "engine": "local", "ray_address": None, "progress": False,
                    "overwrite": True}


def run_process(args: argparse.Namespace) -> int:
    """`radprep process` (its parser sets PROCESS_DEFAULTS): in-process, from scratch every time. The
    same engine, sinks and errors file as `batch`, written as out.incomplete.jsonl (the errors file
    likewise) and renamed over OUTPUT only when the run is complete, so an interrupted run never
    leaves a half file that looks whole."""
    return run_corpus(args, staged=True)


def run_corpus(args: argparse.Namespace, staged: bool) -> int:
    from service.batch.lock import output_lock
    from service.batch.sink import check_output
    from service.errors import ConfigError
    from service.options import settings_from_args
    from service.records import read_records
    from service.settings import resolve_secret

    settings = settings_from_args(args)
    if args.server and args.engine == "ray":
        raise ConfigError("--server and --engine ray exclude each other")
    if args.ray_address and args.engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")
    secret = b"" if args.server else resolve_secret(settings, args.ephemeral_key)
    errors_path = args.errors or args.output.with_name(args.output.stem + ".errors.jsonl")
    if len({p.resolve() for p in (args.input, args.output, errors_path)}) < 3:
        raise ConfigError("INPUT, OUTPUT and the errors file must be three different files")
    check_output(args.output)
    items = read_records(args.input, settings.max_text_chars)  # fails early on a missing input
    # One writer per output and per errors file (two runs may name the same --errors), taken before the models load
    with output_lock(args.output), output_lock(errors_path):
        return _run_locked(args, settings, secret, items, errors_path, staged)


def _run_locked(args: argparse.Namespace, settings: Settings, secret: bytes, items: Iterator[Item],
                errors_path: Path, staged: bool) -> int:
    import sys

    from service.batch.manifest import Manifest
    from service.batch.runner import LazyEngine, count_items, run_batches
    from service.batch.sink import ErrorSink, open_sink

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    total = count_items(args.input) if progress else None
    output, errors_file = (_incomplete(args.output), _incomplete(errors_path)) if staged else (args.output, errors_path)
    fresh = staged or args.overwrite
    started = output.exists() or output.with_name(output.name + ".parts").exists()
    # A run that resumes starts its engine (and loads the models) at its first pending batch, so a run
    # with nothing left loads nothing. Any other starts it now, before the outputs are touched: a failed
    # start (no secret, an LLM that cannot answer) changes nothing.
    engine = LazyEngine(lambda: _engine(args, settings, secret))
    if fresh or not started:
        engine.start()
    try:
        manifest = None
        if not staged:  # checked before the outputs are opened: a mismatch changes nothing
            manifest = Manifest(args.output, settings, secret, args.server)
            manifest.start(fresh, started)
            items = manifest.verify(items)
        sink = open_sink(output, fresh=fresh)
        errors = ErrorSink(errors_file, fresh=fresh or not started)
        summary = run_batches(items, engine, sink, errors, settings.batch_size, progress, total,
                              on_written=manifest.add if manifest is not None else None)
    except BaseException:
        if staged:
            log.warning("the run did not finish: %s is left as it was; what was done is in %s", args.output, output)
        raise
    finally:
        engine.close()
    if staged:
        _publish(output, args.output)
        _publish(errors_file, errors_path)
    summary.log(args.output, errors_path, settings.max_fallback_share)
    failed_llm = summary.too_many_fallbacks(settings.max_fallback_share)
    if summary.errors or summary.resumed_errors:
        return EXIT_RECORD_ERRORS
    errors_path.unlink(missing_ok=True)
    return EXIT_RECORD_ERRORS if failed_llm else EXIT_OK


def _incomplete(path: Path) -> Path:
    """Where a staged run writes `path` until it is complete: out.jsonl → out.incomplete.jsonl."""
    return path.with_name(f"{path.stem}.incomplete{path.suffix}")


def _publish(staged: Path, final: Path) -> None:
    from service.batch.sink import fsync_dir

    os.replace(staged, final)
    fsync_dir(final.parent)


def _engine(args: argparse.Namespace, settings: Settings, secret: bytes) -> Engine:
    if args.server:
        from service.batch.client import HttpEngine

        return HttpEngine(args.server, args.concurrency, api_key=os.environ.get("RADPREP_API_KEY") or None)
    if args.engine == "ray":
        from service.backends.choice import check_backend
        from service.batch.ray_engine import RayEngine

        log.info("%s", check_backend(settings).describe())  # the actors build their pipelines alike
        return RayEngine(settings, secret, address=args.ray_address, workers=args.workers,
                         gpus_per_worker=args.gpus_per_worker)
    import time

    from service.batch.local import LocalEngine
    from service.pipeline import Pipeline

    started = time.perf_counter()
    pipeline = Pipeline(settings, secret)
    log.info("de-identification models loaded in %.1f s; %s", time.perf_counter() - started, pipeline.choice.describe())
    return LocalEngine(pipeline)
