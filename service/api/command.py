"""`radprep serve`: the HTTP service under uvicorn."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import tempfile
from typing import Any

from service.options import EXIT_OK, add_pipeline_options

log = logging.getLogger("radprep")

# flag → the RADPREP_* variable that carries it to the server processes (which read Settings() afresh)
_ENV = {"host": "RADPREP_API__HOST", "port": "RADPREP_API__PORT", "workers": "RADPREP_API__WORKERS",
        "route": "RADPREP_ROUTE", "backend": "RADPREP_BACKEND", "mode": "RADPREP_MODE", "model": "RADPREP_MODEL",
        "batch_size": "RADPREP_BATCH_SIZE", "log_level": "RADPREP_API__LOG_LEVEL",
        "allow_weak_secret": "RADPREP_ALLOW_WEAK_SECRET", "max_report_seconds": "RADPREP_MAX_REPORT_SECONDS"}


def add_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the HTTP service (POST /v1/reports)",
        description="Serve POST /v1/reports and /v1/reports/batch, /healthz, /readyz, /metrics and /docs. "
        "Models load once per server process at start-up; /readyz answers 200 once they are ready. "
        "Without RADPREP_API_KEYS the service binds to loopback only.",
    )
    serve.add_argument("--host", help="address to bind (default RADPREP_API__HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default RADPREP_API__PORT or 8000)")
    serve.add_argument("--workers", type=int, help="server processes, each loading the models (default 1)")
    add_pipeline_options(serve)
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                       help="info (default): one line per request; warning: problems only")
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from service.backends.choice import check_backend
    from service.settings import load_settings, resolve_secret

    for name, variable in _ENV.items():
        value = getattr(args, name)
        if value is not None:
            os.environ[variable] = str(value)
    secret = resolve_secret(load_settings(), args.ephemeral_key)  # fails now, not in every worker, without a secret
    if args.ephemeral_key:  # the server processes read it from the environment, as they read every setting
        os.environ["RADPREP_SECRET"] = secret.hex()
    settings = load_settings()
    check_backend(settings)  # a named LLM backend that cannot answer: exit 2 now; "ready" lines say what is used
    host = settings.api.host
    if not settings.api_key_list() and not _is_loopback(host):
        log.warning("RADPREP_API_KEYS is not set: binding to 127.0.0.1 instead of %s (set keys to serve a network)",
                    host)
        host = os.environ["RADPREP_API__HOST"] = "127.0.0.1"
    elif not settings.api_key_list():
        log.warning("RADPREP_API_KEYS is not set: no authentication; serving on loopback only")
    if settings.api.workers > 1:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="radprep-metrics-"))
    logging.getLogger("radprep").setLevel(settings.api.log_level.upper())
    logging.getLogger("uvicorn.error").setLevel(settings.api.log_level.upper())
    from service.api.protocol import GuardedH11Protocol

    uvicorn.run("service.api.app:app_from_env", factory=True, host=host, port=settings.api.port,
                http=GuardedH11Protocol,
                workers=settings.api.workers, log_config=None, access_log=False, server_header=False,
                timeout_graceful_shutdown=int(settings.api.timeout_s) + 5)
    return EXIT_OK


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
