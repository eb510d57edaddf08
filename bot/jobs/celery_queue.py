"""`JobQueue` on a Celery broker: what a web process (or a worker's follow-up) submits jobs to.

`submit` publishes the job by task name to its queue and never waits long: one publish try with
a short connect timeout, then False (the listener tells the user). The web process imports
neither torch nor the models for this; only `triagebot worker` runs the tasks.

Example:
    >>> jobs = CeleryJobQueue.from_settings(settings)
    >>> jobs.submit(TriageJob(team_id="T1", channel_id="C1", ts="1.2", user_id="U1", text="hi"))
    True
"""

from __future__ import annotations

import logging
import socket

from celery import Celery
from kombu.exceptions import KombuError, OperationalError

from bot import metrics
from bot.jobs.celery_app import build_celery_app, queue_name, task_name
from bot.jobs.types import Job, QueueName, job_payload
from bot.settings import Settings

logger = logging.getLogger(__name__)

# One reconnect at most, right away (a broker restart leaves stale pooled connections): a refused
# connection costs a caller milliseconds, a hung broker two socket timeouts
# (`celery_app.SOCKET_TIMEOUT`), never kombu's default retry loop.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# What a failed publish raises: kombu's errors, socket errors, and the Redis client's own errors
# (not all of which kombu translates).
_PUBLISH_ERRORS: tuple[type[BaseException], ...] = (
    KombuError,
    OperationalError,
    OSError,
    socket.timeout,
    ConnectionError,
    TimeoutError,
)


class CeleryJobQueue:
    """Sends jobs to Celery workers through the broker.

    Args:
        app: the Celery app (`build_celery_app`); its broker receives the jobs.
        namespace: the queue-name prefix the app was built with.
    """

    name = "celery"

    def __init__(self, app: Celery, *, namespace: str = "") -> None:
        self._app = app
        self._namespace = namespace

    @classmethod
    def from_settings(cls, settings: Settings, *, namespace: str | None = None) -> CeleryJobQueue:
        """A queue on `TRIAGE_BROKER_URL` (namespace: `TRIAGE_QUEUE_NAMESPACE` unless given)."""
        namespace = settings.jobs.queue_namespace if namespace is None else namespace
        return cls(build_celery_app(settings, namespace=namespace), namespace=namespace)

    @property
    def app(self) -> Celery:
        return self._app

    def submit(self, job: Job) -> bool:
        """Publish `job` to its queue; False (and counted `rejected`) when the broker says no."""
        try:
            self._app.send_task(
                task_name(job.kind),
                args=[job_payload(job)],
                queue=queue_name(job.queue, self._namespace),
                retry=True,
                retry_policy=PUBLISH_RETRY_POLICY,
                ignore_result=True,
            )
        except _PUBLISH_ERRORS as exc:
            metrics.count_job(job.kind, "rejected")
            logger.warning("broker unreachable: %s job refused (%s)", job.kind, exc)
            return False
        metrics.count_job(job.kind, "submitted")
        return True

    def depth(self) -> dict[str, int]:
        """Not known here: the broker holds the queues (its own monitoring reports them)."""
        return {}

    def full(self, queue: QueueName) -> bool:
        """Never known in advance: the broker refuses (and `submit` says so) when it cannot take one."""
        return False

    def close(self) -> None:
        """Close the app's broker connections."""
        self._app.close()
