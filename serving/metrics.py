"""Prometheus metrics of the local server: request counts and latency by model, signature, status."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LABELS = ("model", "signature", "protocol", "status")
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One registry per server (tests run several servers in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "movierec_serving_requests",
            "Requests by model, signature, protocol and status",
            _LABELS,
            registry=self.registry,
        )
        self.latency = Histogram(
            "movierec_serving_request_latency_seconds",
            "Request latency by model, signature, protocol and status",
            _LABELS,
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.versions = Gauge(
            "movierec_serving_model_versions", "Model versions by state", ("model", "state"), registry=self.registry
        )

    def observe(self, model: str, signature: str, protocol: str, status: str, seconds: float) -> None:
        labels = (model or "-", signature or "-", protocol, status)
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def set_versions(self, model: str, counts: dict[str, int]) -> None:
        for state, count in counts.items():
            self.versions.labels(model, state).set(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
