"""Prometheus metrics (`GET /metrics`), shared by web and job workers of one `gitward serve`.

With several processes (gunicorn workers, the job worker), prometheus-client's multiprocess
mode adds up their counters: `gitward serve` points $PROMETHEUS_MULTIPROC_DIR at a fresh
directory under data_dir before any process starts.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)


class Metrics(NamedTuple):
    deliveries: Counter
    jobs: Counter
    job_seconds: Histogram
    verdicts: Counter
    forge_calls: Counter
    retries: Counter
    queue_depth: Gauge


@functools.cache
def create() -> Metrics:
    """The metrics objects, made once per process; values go to the default registry (or, in
    multiprocess mode, to files that `render` adds up)."""
    return Metrics(
        deliveries=Counter(
            "gitward_deliveries", "Webhook deliveries.", ["forge", "event", "outcome"]
        ),
        jobs=Counter("gitward_jobs", "Jobs finished, by final state.", ["forge", "state"]),
        job_seconds=Histogram(
            "gitward_job_seconds",
            "From delivery to final status.",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
        ),
        verdicts=Counter("gitward_violations", "Violations found, by rule id.", ["rule_id"]),
        forge_calls=Counter("gitward_forge_api_calls", "Forge API calls.", ["forge", "status"]),
        retries=Counter("gitward_retries", "Forge calls or jobs tried again.", ["forge", "what"]),
        queue_depth=Gauge(
            "gitward_queue_depth", "Jobs queued or running.", multiprocess_mode="livemostrecent"
        ),
    )


def render(depth: int, metrics: Metrics) -> tuple[bytes, str]:
    """The exposition text and its content type."""
    metrics.queue_depth.set(depth)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY  # noqa: PLC0415

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
