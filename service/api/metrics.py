"""Prometheus metrics of the HTTP service: counts, types and durations only, never report content.

Labels are bounded: the route template (not the URL), the method, the status code, an error code.
With several server processes (`--workers N`) `radprep serve` sets PROMETHEUS_MULTIPROC_DIR and
/metrics sums the processes (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from service.sections.router import RouteStats

disable_created_metrics()  # the *_created series double the output and say nothing here
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("radprep_http_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("radprep_http_request_duration_seconds", "HTTP request latency by route",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.errors = Counter("radprep_errors", "Error responses and invalid batch records by error code",
                              ["code"], registry=r)
        self.reports = Counter("radprep_reports", "Reports by outcome (ok, invalid, failed)", ["outcome"], registry=r)
        self.batch_reports = Histogram("radprep_pipeline_batch_reports", "Reports per pipeline batch",
                                       buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram("radprep_pipeline_batch_duration_seconds", "Pipeline time per batch",
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.sectioned = Counter("radprep_sections_reports", "Reports sectioned, by source (rules, llm)",
                                 ["source"], registry=r)
        self.llm_calls = Counter("radprep_llm_calls", "LLM calls (one per report and attempt)", registry=r)
        self.retries = Counter("radprep_section_retries", "LLM answers asked for again after failing validation",
                               registry=r)
        self.fallbacks = Counter("radprep_section_fallbacks", "Reports that fell back to the rules result",
                                 registry=r)
        self.invalid_answers = Counter("radprep_llm_invalid_answers", "LLM answers rejected, by reason",
                                       ["reason"], registry=r)
        self.queue = Gauge("radprep_queue_reports", "Reports waiting or in work", registry=r,
                           multiprocess_mode="livesum")
        self.ready = Gauge("radprep_ready", "1 when the models are loaded", registry=r, multiprocess_mode="livemin")

    def observe_sections(self, delta: RouteStats) -> None:
        """The router's counts for one batch."""
        self.sectioned.labels("rules").inc(delta.rules_used)
        self.sectioned.labels("llm").inc(delta.llm_reports)
        self.llm_calls.inc(delta.llm_calls)
        self.retries.inc(delta.retries)
        self.fallbacks.inc(delta.fallbacks)
        for reason, count in delta.invalid.items():
            if count > 0:
                self.invalid_answers.labels(reason).inc(count)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
