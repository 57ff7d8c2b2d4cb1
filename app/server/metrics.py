"""Request counts and latencies for `/metrics`, kept in memory (a bounded window per route)."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict, deque

import numpy as np

WINDOW = 2000
"""Latencies kept per route; percentiles describe the most recent requests."""


class Metrics:
    """Thread-safe counters: requests by route and status, latency percentiles, answers by outcome."""

    def __init__(self) -> None:
        self.started = time.time()
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.latencies: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=WINDOW))
        self.in_flight = 0

    def observe(self, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[route] += 1
            self.statuses[str(status)] += 1
            self.latencies[route].append(seconds)

    def count(self, event: str, n: int = 1) -> None:
        """Count an event ("answers", "idk_answers", "retrievals", "stream_answers", ...)."""
        with self._lock:
            self.events[event] += n

    def snapshot(self) -> dict:
        """JSON-ready view: totals, per-route counts and p50/p95/max latency in milliseconds."""
        with self._lock:
            routes = {}
            for route, values in self.latencies.items():
                arr = np.array(values) * 1000
                routes[route] = {"count": self.requests[route], "p50_ms": round(float(np.percentile(arr, 50)), 1),
                                 "p95_ms": round(float(np.percentile(arr, 95)), 1), "max_ms": round(float(arr.max()), 1)}
            return {"uptime_s": round(time.time() - self.started, 1), "requests_total": sum(self.requests.values()),
                    "in_flight": self.in_flight, "status_codes": dict(self.statuses), "events": dict(self.events),
                    "routes": routes}
