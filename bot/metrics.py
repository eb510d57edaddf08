"""Prometheus metrics of the serving process: one registry and small functions to record events.

Listeners, the dashboard API, the ack timer (`bot.listeners.acks`) and the retrain wrapper
(`count_retrain_runs`, applied in `bot.composition`) call the `count_*` / `observe_*` / `set_*`
functions; `/metrics` (see `bot.ops`) exposes `REGISTRY` in the Prometheus text format.

Each process keeps its own counters: with several gunicorn workers, scrape each worker or run
one worker per container (prometheus-client's multiprocess mode is not wired in).

Example:
    >>> from bot import metrics
    >>> metrics.observe_classification("negative", 0.012)
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import ParamSpec, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R", bound="RunResult")

CONTENT_TYPE = CONTENT_TYPE_LATEST
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "triagebot_requests",
    "Requests handled, by kind (event, command, action, shortcut, view, api_classify, ...).",
    ["kind"],
    registry=REGISTRY,
)
ACKS = Counter(
    "triagebot_acks",
    "Slack requests acknowledged, by kind and whether the ack beat Slack's 3 s limit.",
    ["kind", "in_time"],
    registry=REGISTRY,
)
ACK_LATENCY = Histogram(
    "triagebot_ack_seconds",
    "Time from receiving a Slack request to its ack.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=REGISTRY,
)
CLASSIFICATION_LATENCY = Histogram(
    "triagebot_classification_seconds",
    "Time to classify one message (or one batch), by predicted label.",
    ["label"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
LABELS = Counter("triagebot_labels", "Predicted labels, by label.", ["label"], registry=REGISTRY)
DRAFT_LATENCY = Histogram(
    "triagebot_draft_seconds",
    "Time to draft one reply.",
    buckets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0),
    registry=REGISTRY,
)
FEEDBACK = Counter(
    "triagebot_feedback",
    "Label corrections received, by source (button, modal, command, shortcut, import).",
    ["source"],
    registry=REGISTRY,
)
RETRAIN_RUNS = Counter(
    "triagebot_retrain_runs",
    "Retraining runs finished, by outcome (promoted, rejected, failed, skipped).",
    ["outcome"],
    registry=REGISTRY,
)
DRIFT = Gauge(
    "triagebot_drift_value",
    "Latest drift metrics (PSI of the label mix, correction rate, unseen-token share, ...).",
    ["metric"],
    registry=REGISTRY,
)
DRIFT_FIRED = Gauge(
    "triagebot_drift_fired",
    "1 where the latest drift check found the metric over its threshold, 0 otherwise.",
    ["metric"],
    registry=REGISTRY,
)
MODEL_INFO = Gauge(
    "triagebot_model_info",
    "1 for the model version this process serves, by kind.",
    ["kind", "version"],
    registry=REGISTRY,
)
STORED_RUNS = Gauge(
    "triagebot_training_runs_recorded",
    "Training runs in storage (most recent 1000), by outcome; shared by every process.",
    ["outcome"],
    registry=REGISTRY,
)
STORED_FEEDBACK = Gauge(
    "triagebot_feedback_recorded",
    "Label corrections kept in storage; shared by every process.",
    registry=REGISTRY,
)
ERRORS = Counter(
    "triagebot_errors", "Errors caught at a boundary, by where.", ["where"], registry=REGISTRY
)
JOBS = Counter(
    "triagebot_jobs",
    "Jobs by kind and outcome (submitted, rejected: queue full, done, failed).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "triagebot_job_seconds",
    "Time from a job's start to its end, by kind.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "triagebot_queue_depth",
    "Jobs waiting in this process's inline queues, by queue.",
    ["queue"],
    registry=REGISTRY,
)
OUTBOX_ROWS = Gauge(
    "triagebot_outbox_rows",
    "Slack writes in the outbox by status (pending, sent, failed, expired); shared by every process.",
    ["status"],
    registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "triagebot_classify_batch_size",
    "Texts per forward pass of the micro-batched classifier.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
    registry=REGISTRY,
)


def count_job(kind: str, outcome: str) -> None:
    """Count a job `submitted`, `rejected` (queue full), `done` or `failed`."""
    JOBS.labels(kind=kind, outcome=outcome).inc()


def observe_job(kind: str, seconds: float) -> None:
    JOB_SECONDS.labels(kind=kind).observe(seconds)


def set_queue_depth(queue: str, depth: int) -> None:
    QUEUE_DEPTH.labels(queue=queue).set(depth)


def set_outbox_rows(counts: Mapping[str, int]) -> None:
    for status, total in counts.items():
        OUTBOX_ROWS.labels(status=status).set(total)


def observe_batch(size: int) -> None:
    BATCH_SIZE.observe(size)


def count_request(kind: str) -> None:
    """Count one incoming request of `kind` (e.g. "event", "command", "api_draft")."""
    REQUESTS.labels(kind=kind).inc()


def count_ack(kind: str, seconds: float | None = None, *, limit_seconds: float = 3.0) -> None:
    """Count one ack of a Slack request; `seconds` since receipt feeds the ack histogram."""
    in_time = "unknown" if seconds is None else ("yes" if seconds <= limit_seconds else "no")
    ACKS.labels(kind=kind, in_time=in_time).inc()
    if seconds is not None:
        ACK_LATENCY.labels(kind=kind).observe(seconds)


def observe_classification(label: str, seconds: float) -> None:
    """Record one classified text: its label and how long the classification took."""
    LABELS.labels(label=label).inc()
    CLASSIFICATION_LATENCY.labels(label=label).observe(seconds)


def observe_draft(seconds: float) -> None:
    """Record how long one draft took."""
    DRAFT_LATENCY.observe(seconds)


def count_feedback(source: str) -> None:
    """Count one label correction from `source`."""
    FEEDBACK.labels(source=source).inc()


def count_retrain(outcome: str) -> None:
    """Count one finished retraining run with `outcome`."""
    RETRAIN_RUNS.labels(outcome=outcome).inc()


class RunResult(Protocol):
    """What `count_retrain_runs` reads from a run's result (`RetrainResult`)."""

    @property
    def outcome(self) -> str: ...


def count_retrain_runs(retrain: Callable[P, R]) -> Callable[P, R]:
    """Wrap a retrain function so that every run it finishes counts by outcome.

    A run that raises counts as "failed" and the exception goes on to the caller.

    Example:
        >>> RetrainService(db, settings, retrain=metrics.count_retrain_runs(retrain_once))
    """

    @functools.wraps(retrain)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = retrain(*args, **kwargs)
        except Exception:
            count_retrain("failed")
            raise
        count_retrain(result.outcome)
        return result

    return run


def count_error(where: str) -> None:
    """Count one error caught at a boundary (a listener, a job, an endpoint)."""
    ERRORS.labels(where=where).inc()


def set_drift(values: Mapping[str, object], fired: Iterable[str] = ()) -> None:
    """Publish the latest drift check: numeric `values` by metric name, `fired` metric names."""
    fired_set = set(fired)
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        DRIFT.labels(metric=name).set(float(value))
        DRIFT_FIRED.labels(metric=name).set(1.0 if name in fired_set else 0.0)


_served: dict[str, str] = {}
_served_lock = threading.Lock()


def set_model_version(kind: str, version: str | None) -> None:
    """Publish the version of `kind` this process serves (None: nothing loaded)."""
    with _served_lock:
        previous = _served.pop(kind, None)
        if previous is not None and previous != version:
            MODEL_INFO.remove(kind, previous)
        if version:
            MODEL_INFO.labels(kind=kind, version=version).set(1.0)
            _served[kind] = version


def set_stored_counts(*, runs_by_outcome: Mapping[str, int], feedback: int) -> None:
    """Publish totals read from storage (the same in every worker, unlike the counters)."""
    for outcome in ("promoted", "rejected", "failed", "skipped", "running"):
        STORED_RUNS.labels(outcome=outcome).set(float(runs_by_outcome.get(outcome, 0)))
    STORED_FEEDBACK.set(float(feedback))


def render() -> bytes:
    """The registry in the Prometheus text exposition format."""
    return generate_latest(REGISTRY)
