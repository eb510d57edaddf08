"""The Celery side of the `celery` executor: the app built from settings and one task per job kind.

The app is configured for jobs that must not be lost: late acknowledgement and reject-on-worker-
lost, so a job whose worker dies is delivered again (RabbitMQ: as soon as the worker's connection
drops; Redis: after `TRIAGE_BROKER_VISIBILITY_TIMEOUT`). Handlers are idempotent (the stored
prediction's unique key, each outbox write's key), so a second delivery changes nothing twice.
Payloads are JSON only; each queue (`triage`, `drafts`, `training`) is declared durable.

Tasks stay thin: decode the payload with `job_from_payload` and hand the job to
`bot.jobs.handlers.run_job`, the same function the inline executor runs. Nothing here imports
torch or the models: the web process builds this app only to send tasks by name.

Example:
    >>> app = build_celery_app(settings)
    >>> register_job_tasks(app, RuntimeHolder(lambda: build_job_runtime(settings)))
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import redis
from celery import Celery
from kombu.entity import Exchange, Queue
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

from bot.jobs.handlers import run_job
from bot.jobs.runtime import JobRuntime
from bot.jobs.types import JOB_TYPES, QUEUES, BadJob, QueueName, job_from_payload
from bot.settings import Settings

logger = logging.getLogger(__name__)

TASK_PREFIX = "triagebot.job."
# How long a web process waits for an unreachable (or hung) broker before `submit` says no, in
# seconds; above a Redis worker's 1 s BRPOP, so an idle worker's reads never time out.
CONNECT_TIMEOUT = 2.0
SOCKET_TIMEOUT = 3.0


def task_name(kind: str) -> str:
    """The Celery task name of a job kind: `triagebot.job.triage`, `triagebot.job.draft`, ..."""
    return f"{TASK_PREFIX}{kind}"


def queue_name(queue: QueueName, namespace: str = "") -> str:
    """The broker's name for one of our queues; `namespace` keeps deployments (or tests) apart."""
    return f"{namespace}{queue}"


def is_redis(url: str) -> bool:
    return url.split("://", 1)[0] in ("redis", "rediss", "redis+socket")


def build_celery_app(settings: Settings, *, namespace: str | None = None) -> Celery:
    """A Celery app on `TRIAGE_BROKER_URL` (redis:// or amqp://) with our queues and policies.

    Args:
        settings: all settings; reads `settings.jobs`.
        namespace: prefix of every queue (and exchange) name, so deployments or test runs that
            share one broker never take each other's jobs (default `TRIAGE_QUEUE_NAMESPACE`,
            empty in a plain deployment).
    """
    jobs = settings.jobs
    namespace = jobs.queue_namespace if namespace is None else namespace
    app = Celery("triagebot", set_as_current=False)
    transport_options: dict[str, Any] = {}
    if is_redis(jobs.broker_url):
        # A job still unacknowledged after this long goes back on its queue: the redelivery of a
        # job whose worker died, and of one that runs longer than this (keep it above the
        # longest job; retraining holds a lease, so a second run is refused).
        transport_options = {
            "visibility_timeout": jobs.visibility_timeout,
            # How often a worker looks for such jobs: kombu's default (every 10th sweep, one
            # per 10 s) would leave them waiting up to 100 s beyond the visibility timeout.
            "unacked_restore_interval": max(1, min(10, jobs.visibility_timeout // 5)),
            "unacked_restore_throttle": 1,
            # The lock of one such sweep outlives a broker restart that cut the sweep short
            # (kombu's default: 5 minutes); it need not outlast the visibility timeout.
            "unacked_mutex_expire": min(300, jobs.visibility_timeout),
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": SOCKET_TIMEOUT,
        }
    app.conf.update(
        broker_url=jobs.broker_url,
        broker_transport=f"{__name__}:RedisTransport" if is_redis(jobs.broker_url) else None,
        broker_transport_options=transport_options,
        broker_connection_timeout=CONNECT_TIMEOUT,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,  # jobs answer through the outbox, never through a result
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A job cut off by a lost broker connection is redelivered anyway: stop it, not twice.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_prefetch_multiplier=1,  # the worker command raises it for triage-only workers
        task_queues=[_queue(queue_name(name, namespace)) for name in QUEUES],
        task_default_queue=queue_name("triage", namespace),
        task_create_missing_queues=False,
        task_routes={
            task_name(kind): {"queue": queue_name(cls.queue, namespace)}
            for kind, cls in JOB_TYPES.items()
        },
        worker_hijack_root_logger=False,  # `triagebot`'s logging configuration stays
        worker_send_task_events=False,
        enable_utc=True,
    )
    return app


class _RedisQoS(kombu_redis.QoS):
    def append(self, message: Any, delivery_tag: str) -> None:
        # A worker takes a job off its queue (BRPOP), then records it as unacknowledged; if the
        # broker goes away in between, kombu dropped the job, though only this worker holds it
        # now. Run it instead (thread and solo pools run it to the end; it is not redelivered).
        try:
            super().append(message, delivery_tag)  # type: ignore[no-untyped-call]
        except self.channel.connection_errors:
            logger.warning("broker lost as a job arrived: running it unrecorded (%s)", delivery_tag)
            virtual.QoS.append(self, message, delivery_tag)


class _RedisChannel(kombu_redis.Channel):
    QoS = _RedisQoS

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        # After a lost connection the worker's consumer detaches the transport, then closes the
        # connection; closing the channel then tries to requeue the jobs it holds and, with no
        # transport left, raised AttributeError: an "unrecoverable error" that ended the worker
        # whenever the broker went away with a job in flight. A connection error is ignored
        # there instead; those jobs stay in the broker's unacked set and come back after the
        # visibility timeout.
        if self.connection.client is None:
            raise redis.ConnectionError("the broker connection is closed")
        params: dict[str, Any] = super()._connparams(asynchronous)  # type: ignore[no-untyped-call]
        return params


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport, with a worker that outlives a broker restart (`_RedisChannel`)."""

    Channel = _RedisChannel


def _queue(name: str) -> Queue:
    return Queue(name, Exchange(name, type="direct", durable=True), routing_key=name, durable=True)


class RuntimeHolder:
    """Builds the process's `JobRuntime` once, on first use, and hands the same one out after.

    A worker process builds it before it takes jobs (solo and thread pools: at start; prefork:
    in each child, after the fork, so torch never crosses a fork).

    Args:
        build: makes the runtime (loads the models; slow, once).
    """

    def __init__(self, build: Callable[[], JobRuntime]) -> None:
        self._build = build
        self._runtime: JobRuntime | None = None
        self._lock = threading.Lock()

    def get(self) -> JobRuntime:
        runtime = self._runtime
        if runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._build()
                runtime = self._runtime
        return runtime

    def close(self) -> None:
        """Close the runtime if one was built (the worker is stopping)."""
        with self._lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()


def run_payload(holder: RuntimeHolder, kind: str, payload: object) -> str:
    """What a task does: rebuild the job and run it. A bad payload is logged and dropped.

    Returns what happened (also for tests). Handler errors propagate: Celery logs the failure
    and acknowledges the message, so a job that fails on its own merits is not retried.
    """
    try:
        if not isinstance(payload, dict):
            raise BadJob(f"{kind} payload must be an object, got {type(payload).__name__}")
        job = job_from_payload(kind, payload)
    except BadJob as exc:
        logger.error("dropped a bad %s job: %s", kind, exc)
        return "dropped: bad payload"
    return run_job(holder.get(), job)


def register_job_tasks(app: Celery, holder: RuntimeHolder) -> None:
    """Register one task per job kind on `app`, each running its job with `holder`'s runtime."""
    for kind in JOB_TYPES:
        app.task(name=task_name(kind), ignore_result=True)(_task_body(holder, kind))


def _task_body(holder: RuntimeHolder, kind: str) -> Callable[..., str]:
    def run(*args: object, **kwargs: object) -> str:
        # Anything but the one payload `CeleryJobQueue` sends is a bad job, not a crash.
        payload = args[0] if len(args) == 1 and not kwargs else (args, kwargs)
        return run_payload(holder, kind, payload)

    run.__name__ = run.__qualname__ = f"run_{kind}_job"
    run.__module__ = __name__
    return run
