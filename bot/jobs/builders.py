"""The pieces of a process's job machinery: its outbox, its retraining, its inline executor.

`bot.composition` (for `serve`) and `bot.jobs.runtime_factory` (for a Celery worker) assemble
them; this module imports neither.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from bot.jobs.handlers import run_job
from bot.jobs.inline import InlineJobQueue
from bot.jobs.runtime import JobRuntime, SlackOutbox
from bot.services import Drafter, Notify, Predictor
from bot.settings import Settings
from models.holder import ModelHolder
from storage.database import Database

logger = logging.getLogger(__name__)


def build_outbox(settings: Settings, db: Database, installation_store: Any = None) -> Any:
    """The Slack outbox of this process with its sender started."""
    from bot.outbox import Outbox
    from bot.slack_api import SlackClients

    outbox = Outbox(db, settings, SlackClients(settings.slack, installation_store))
    outbox.start()
    return outbox


def retrain_in_this_thread(settings: Settings, db: Database) -> Any:
    """A `RetrainNow` that runs `retrain_once` to its end, reporting stages through `notify`."""
    from bot import metrics
    from bot.serving.retrain_runner import retrain_and_report
    from training.retrain.run import retrain_once

    run = metrics.count_retrain_runs(retrain_once)

    def retrain_now(
        trigger: str, requested_by: str | None, notify: Notify, *, slot: datetime | None = None
    ) -> str:
        result = retrain_and_report(
            run, trigger, requested_by, notify, db=db, settings=settings, slot=slot
        )
        return str(result.outcome)

    return retrain_now


def start_inline_jobs(
    settings: Settings,
    *,
    db: Database,
    classifier: ModelHolder[Predictor],
    drafter: Drafter | None,
    outbox: SlackOutbox,
) -> InlineJobQueue:
    """The default executor, running jobs on this process's models in bounded threads."""
    runtime = JobRuntime(
        settings=settings,
        db=db,
        classifier=classifier,
        drafter=drafter,
        outbox=outbox,
        retrain_now=retrain_in_this_thread(settings, db),
    )
    jobs = settings.jobs
    queue = InlineJobQueue(
        partial(run_job, runtime),
        threads={"triage": jobs.triage_threads, "drafts": jobs.draft_threads, "training": 1},
        queue_size=jobs.queue_size,
        on_close=runtime.stop_memory,
    )
    runtime.jobs = queue
    runtime.start_memory()
    return queue
