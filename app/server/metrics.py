"""The assistant's metrics, kept with `prometheus_client` so any Prometheus (or Grafana agent) can scrape
them.

`/metrics` serves the Prometheus text format; `/metrics.json` a small JSON summary for people and tests;
`/metrics/vllm` relays the vLLM server's own metrics (KV-cache use, queue length, tokens/s).
Each app has its own `CollectorRegistry`, so several apps in one process (the tests) never collide.
"""

from __future__ import annotations

import threading
import time

from prometheus_client import CONTENT_TYPE_LATEST as PROMETHEUS_CONTENT_TYPE  # noqa: F401  (re-exported)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Seconds: from a retrieval (milliseconds) to a long CPU answer (a minute)."""
STAGES = ("retrieval", "first_token", "answer")


class Metrics:
    """Requests by route and status, latency histograms per route and per answering stage, tokens, errors,
    answers by outcome, index size. Thread-safe (prometheus_client's own locks)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.requests = Counter("telecomgpt_requests", "HTTP requests by route and status code",
                                ["route", "status"], registry=self.registry)
        self.latency = Histogram("telecomgpt_request_seconds", "HTTP request latency by route", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.stage_latency = Histogram("telecomgpt_answer_stage_seconds",
                                       "Latency of the assistant's stages: retrieval, first token, whole "
                                       "answer",
                                       ["stage"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.events = Counter("telecomgpt_events", "Answers by outcome and other events (rag_answers, "
                              "idk_answers, extractive_answers, retrievals, ...)", ["event"],
                              registry=self.registry)
        self.tokens = Counter("telecomgpt_tokens",
                              "Tokens through the assistant, by kind (prompt, completion)",
                              ["kind"], registry=self.registry)
        self.errors = Counter("telecomgpt_errors", "Errors by kind (upstream, server, client)", ["kind"],
                              registry=self.registry)
        self.in_flight_gauge = Gauge("telecomgpt_in_flight_requests", "Requests being served now",
                                     registry=self.registry)
        self.index_chunks = Gauge("telecomgpt_index_chunks", "Chunks in the served index",
                                  registry=self.registry)
        self.index_files = Gauge("telecomgpt_index_files", "Files in the served index",
                                 registry=self.registry)
        self._summary: dict[str, dict] = {}

    # --- recording ------------------------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        return self._in_flight

    @in_flight.setter
    def in_flight(self, value: int) -> None:
        with self._lock:
            self._in_flight = value
        self.in_flight_gauge.set(value)

    def observe(self, route: str, status: int, seconds: float) -> None:
        """One finished HTTP request (or a named answer path such as "chat_stream_total")."""
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if status >= 500:
            self.errors.labels("server").inc()
        elif status >= 400:
            self.errors.labels("client").inc()
        with self._lock:
            entry = self._summary.setdefault(route, {"count": 0, "seconds": 0.0, "max": 0.0})
            entry["count"] += 1
            entry["seconds"] += seconds
            entry["max"] = max(entry["max"], seconds)

    def observe_stage(self, stage: str, seconds: float) -> None:
        """Latency of one answering stage (one of STAGES)."""
        self.stage_latency.labels(stage).observe(seconds)

    def count(self, event: str, n: int = 1) -> None:
        """Count an event ("rag_answers", "idk_answers", "retrievals", ...)."""
        self.events.labels(event).inc(n)

    def add_tokens(self, prompt: int = 0, completion: int = 0) -> None:
        if prompt:
            self.tokens.labels("prompt").inc(prompt)
        if completion:
            self.tokens.labels("completion").inc(completion)

    def error(self, kind: str) -> None:
        """An error that did not end as an HTTP status of its own (e.g. the model failed mid-stream)."""
        self.errors.labels(kind).inc()

    def set_index(self, chunks: int, files: int) -> None:
        self.index_chunks.set(chunks)
        self.index_files.set(files)

    # --- reading --------------------------------------------------------------------------------
    def exposition(self) -> bytes:
        """The Prometheus text format of every metric of this app."""
        return generate_latest(self.registry)

    def snapshot(self) -> dict:
        """JSON view: totals and per-route count, mean and max latency in milliseconds."""
        with self._lock:
            routes = {route: {"count": e["count"], "mean_ms": round(e["seconds"] / e["count"] * 1000, 1),
                              "max_ms": round(e["max"] * 1000, 1)} for route, e in self._summary.items()}
            in_flight = self._in_flight
        events = {s.labels["event"]: int(s.value) for m in self.events.collect() for s in m.samples
                  if s.name.endswith("_total")}
        return {"uptime_s": round(time.time() - self.started, 1),
                "requests_total": sum(r["count"] for r in routes.values()), "in_flight": in_flight,
                "events": events, "routes": routes}
