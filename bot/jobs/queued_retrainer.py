"""Retraining as a job on the `training` queue (the Celery executor: the run happens on a worker)."""

from __future__ import annotations

from datetime import datetime

from bot.jobs.queue import BUSY, JobQueue
from bot.jobs.types import RetrainJob
from bot.services import Notify


class QueuedRetrainer:
    """A `Retrainer` that submits a `RetrainJob`; the worker reports progress to the admins."""

    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs

    def start(
        self,
        trigger: str,
        requested_by: str | None,
        notify: Notify,
        *,
        slot: datetime | None = None,
    ) -> bool:
        job = RetrainJob(
            trigger=trigger,
            requested_by=requested_by,
            slot=slot.isoformat() if slot else None,
        )
        if not self.jobs.submit(job):
            notify(BUSY)
            return False
        notify("Retraining queued; a training worker will post its progress to the admins.")
        return True
