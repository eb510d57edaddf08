"""What listeners submit jobs to: one interface, an in-process and a Celery implementation."""

from __future__ import annotations

from typing import Protocol

from bot.jobs.types import Job, QueueName

BUSY = ":hourglass: triagebot is busy right now; please try again in a minute."


class JobQueue(Protocol):
    """Accepts jobs without waiting.

    `submit` returns False when the job cannot be taken now (the queue is full or the broker is
    unreachable): the caller tells the user and moves on; it never blocks an ack.
    """

    name: str

    def submit(self, job: Job) -> bool: ...

    def depth(self) -> dict[str, int]:
        """Jobs waiting per queue, as far as this process can tell (for metrics)."""
        ...

    def full(self, queue: QueueName) -> bool:
        """True when a job for `queue` would be refused right now."""
        ...

    def close(self) -> None: ...
