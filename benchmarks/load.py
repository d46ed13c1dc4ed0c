"""Load test of the HTTP service: N concurrent clients for a bounded time against a server on loopback.

    python benchmarks/load.py --clients 32 --duration 30            # starts `radprep serve` itself
    python benchmarks/load.py --url http://127.0.0.1:8000 --api-key KEY   # an already running server
    python benchmarks/load.py --clients 32 --duration 45 --poison 0.01     # 1 % hostile requests mixed in

Each client posts one report at a time (or `--batch N` records to /v1/reports/batch) drawn from the
synthetic corpus of `make_corpus.py`, and waits for the answer before sending the next. Reported:
p50/p95/p99 latency of answered requests, reports/s, and every non-200 answer by status. Nothing may be
dropped: a request refused with 429 is retried after its Retry-After; at the end every report sent must
have come back as a 200 with its own id, or the run says how many did not. The warm-up seconds are not
counted. The clients share the machine with the server, so on a 2-core machine they take CPU from it.

`--poison F`: that share of the requests is hostile, in turn a lone surrogate in `id`, a lone surrogate
in `patient_id`, NaN in metadata, and a report that is one 100 KB letter run. They are reported apart (by
status); the figures above are those of the good requests, and `good_failed` counts good requests
that did not get their own report back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import load as load_average  # noqa: E402
from machine import stamp  # noqa: E402
from make_corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, answered 200s inside the window
    reports_ok: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0  # reports sent at least once
    done: int = 0  # reports answered 200 with their own id
    mismatched: int = 0
    retried: int = 0
    poison_statuses: Counter[str] = field(default_factory=Counter)  # "kind status"
    poison_latencies: list[float] = field(default_factory=list)


POISONS = ("surrogate_id", "surrogate_patient_id", "nan_metadata", "one_token_100kb")


def poisoned(kind: str, index: int) -> bytes:
    """A hostile request body (JSON text: lone surrogates as \\ud800 escapes, NaN as a bare NaN)."""
    record: dict[str, Any] = {"id": f"poison-{index}", "text": "FINDINGS: Clear lungs."}
    if kind == "surrogate_id":
        record["id"] = f"poison-{index}-\ud800"
    elif kind == "surrogate_patient_id":
        record["patient_id"] = "PT\udfff7"
    elif kind == "nan_metadata":
        record["metadata"] = {"PatientWeight": float("nan")}
    else:
        record["text"] = "a" * 100_000
    return json.dumps(record).encode()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def send_poison(client: httpx.AsyncClient, index: int, tally: Tally) -> None:
    kind = POISONS[(index // 100) % len(POISONS)]
    began = time.perf_counter()
    try:
        response = await client.post("/v1/reports", content=poisoned(kind, index),
                                     headers={"content-type": "application/json"})
        tally.poison_statuses[f"{kind} {response.status_code}"] += 1
    except httpx.TransportError as exc:
        tally.poison_statuses[f"{kind} {type(exc).__name__}"] += 1
    tally.poison_latencies.append(time.perf_counter() - began)


async def client_loop(client: httpx.AsyncClient, records: list[dict[str, Any]], next_index: list[int], batch: int,
                      window: tuple[float, float], tally: Tally, poison: float = 0.0) -> None:
    warm_end, stop = window
    every = round(1 / poison) if poison > 0 else 0
    while time.perf_counter() < stop:
        start = next_index[0]
        next_index[0] += batch
        if every and batch == 1 and start % every == every - 1 and time.perf_counter() >= warm_end:
            await send_poison(client, start, tally)
            continue
        chunk = [dict(records[(start + i) % len(records)], id=f"load-{start + i}") for i in range(batch)]
        tally.sent += len(chunk)
        while True:  # until answered: a 429 is retried, never dropped
            began = time.perf_counter()
            try:
                if batch == 1:
                    response = await client.post("/v1/reports", json=chunk[0])
                else:
                    response = await client.post("/v1/reports/batch", json={"records": chunk})
            except httpx.TransportError as exc:
                tally.transport_errors[type(exc).__name__] += 1
                await asyncio.sleep(0.5)
                tally.retried += 1
                continue
            elapsed = time.perf_counter() - began
            tally.statuses[response.status_code] += 1
            if response.status_code in (429, 503):
                tally.retried += 1
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                continue
            break
        if response.status_code != 200:
            continue
        body = response.json()
        ids = [body["id"]] if batch == 1 else [item.get("report", {}).get("id") for item in body["results"]]
        good = sum(1 for sent, got in zip(chunk, ids, strict=True) if sent["id"] == got)
        tally.done += good
        tally.mismatched += len(chunk) - good
        if warm_end <= began and time.perf_counter() <= stop:
            tally.latencies.append(elapsed)
            tally.reports_ok += good


async def run_load(url: str, api_key: str | None, clients: int, duration: float, warmup: float, batch: int,
                   records: list[dict[str, Any]], poison: float = 0.0) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    tally = Tally()
    # One client (one connection) per simulated user: a shared pool of 32 connections costs the load
    # generator more CPU than the server spends (httpx scans its pool on every request).
    clients_ = [httpx.AsyncClient(base_url=url, headers=headers, timeout=120) for _ in range(clients)]
    try:
        before = await _scrape(clients_[0])
        began = time.perf_counter()
        window = (began + warmup, began + warmup + duration)
        next_index = [0]
        await asyncio.gather(*(client_loop(client, records, next_index, batch, window, tally, poison)
                               for client in clients_))
        drained = time.perf_counter() - window[1]
        after = await _scrape(clients_[0])
    finally:
        await asyncio.gather(*(client.aclose() for client in clients_))

    def grew(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    batches = grew("radprep_pipeline_batch_reports_count")
    reports = grew("radprep_pipeline_batch_reports_sum")
    lat = tally.latencies
    return {
        "clients": clients, "duration_s": duration, "warmup_s": warmup, "records_per_request": batch,
        "requests_measured": len(lat),
        "latency_ms": {name: round(percentile(lat, q) * 1000, 1) for name, q in (("p50", 50), ("p95", 95), ("p99", 99))}
        | {"mean": round(statistics.fmean(lat) * 1000, 1) if lat else None,
           "max": round(max(lat) * 1000, 1) if lat else None},
        "reports_per_s": round(tally.reports_ok / duration, 1),
        "requests_per_s": round(len(lat) / duration, 1),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "transport_errors": dict(tally.transport_errors),
        "retried": tally.retried,
        "sent": tally.sent, "answered_ok": tally.done, "mismatched_ids": tally.mismatched,
        "dropped": tally.sent - tally.done,
        "drain_s": round(drained, 2),
        "server_mean_batch": round(reports / batches, 1) if batches else None,
        "good_failed": tally.sent - tally.done,
        "poison": {"share": poison, "sent": len(tally.poison_latencies), "statuses": dict(tally.poison_statuses),
                   "max_ms": round(max(tally.poison_latencies) * 1000, 1) if tally.poison_latencies else None},
    }


async def _scrape(client: httpx.AsyncClient) -> dict[str, float]:
    try:
        text = (await client.get("/metrics")).text
    except httpx.TransportError:
        return {}
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "{" not in line.split(" ", 1)[0]:
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(route: str, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADPREP_")}
    env.update({"TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "", "RADPREP_SECRET": secrets.token_hex(16)})
    radprep = Path(sys.executable).with_name("radprep")
    command = [str(radprep), "serve", "--port", str(port), "--route", route, "--workers", str(workers),
               "--log-level", "warning"]
    # the server's log goes nowhere: an unread pipe would fill up and stall it
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return url, process
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("server not ready within 600 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start `radprep serve` on a free loopback port)")
    parser.add_argument("--api-key", default=os.environ.get("RADPREP_API_KEY"))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds (default 30)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds not counted (default 5)")
    parser.add_argument("--batch", type=int, default=1, help="records per request; >1 uses /v1/reports/batch")
    parser.add_argument("--route", default="rules", help="route of the server this script starts (default rules)")
    parser.add_argument("--workers", type=int, default=1, help="workers of the server this script starts")
    parser.add_argument("--reports", type=int, default=2000, help="distinct synthetic reports to cycle through")
    parser.add_argument("--poison", type=float, default=0.0, help="share of hostile requests (e.g. 0.01)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    records = [r.record for r in generate(args.reports, seed=1)]
    process = None
    url = args.url
    if url is None:
        url, process = start_server(args.route, args.workers)
    started_load = load_average()
    try:
        result = asyncio.run(run_load(url, args.api_key, args.clients, args.duration, args.warmup, args.batch, records,
                                      args.poison))
    finally:
        if process is not None:
            process.terminate()
            process.wait(60)
    result["server"] = {"url": "started by this script" if process else "given", "route": args.route,
                        "workers": args.workers}
    result["stamp"] = stamp(cores_used=os.cpu_count() or 1, started_load=started_load)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["dropped"] or result["mismatched_ids"] else 0


if __name__ == "__main__":
    sys.exit(main())
