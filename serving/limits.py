"""The local model server's limits, in one place: both front ends read them (docs/serving.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServingLimits:
    """Bounds on what one request, one connection and the whole server may take.

    TF Serving has no per-request instance limit and a 2 GiB gRPC message limit; these defaults
    are sized for the movie models (a recommend call sends one row per candidate: hundreds).
    """

    max_instances: int = 10_000  # rows (the first dimension of every input) in one predict request
    max_body_bytes: int = 64 << 20  # REST body and gRPC message size
    max_concurrent_requests: int = 16  # predicts running at once (worker threads of each front end)
    max_queued_requests: int = 512  # requests waiting for a worker; beyond: RESOURCE_EXHAUSTED (429)
    idle_timeout_seconds: float = 60.0  # a keep-alive REST connection with no request is closed
    body_timeout_seconds: float = 30.0  # a REST body still not complete after this is dropped
    backlog: int = 1024  # pending TCP connections the REST listener queues
    max_concurrent_streams: int = 256  # HTTP/2 streams per gRPC connection
    grpc_keepalive_seconds: float = 60.0  # gRPC pings an idle connection this often

    def __post_init__(self) -> None:
        for name in ("max_instances", "max_body_bytes", "max_concurrent_requests", "max_queued_requests", "backlog"):
            if getattr(self, name) <= 0:
                raise ValueError(f"serving limit {name} must be positive, not {getattr(self, name)}")
