"""`radprep batch` (and `process`, its staged, non-resumable form): a whole corpus, streamed, resumable,
in-process, against a service or on Ray.

    command      the `batch` subcommand: options → settings, engine, sinks
    runner       the loop: read → skip what is written → batches → engine → sinks; progress, summary
    resume       which input records an earlier, interrupted run already wrote
    sink         output writers (JSONL, CSV) and the errors side file, each recoverable after a crash
    parquet_sink the Parquet writer: atomic part files, combined at the end
    local        the in-process engine: one Pipeline (which isolates a failing record itself)
    client       the `--server URL` engine: async HTTP with retries, results back in input order
    ray_engine   the `--engine ray` engine: the same pipeline on Ray Data actors
"""
