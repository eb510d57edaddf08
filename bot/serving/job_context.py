"""What the scheduled jobs share: their context (database, settings, clock) and cron slots.

A job that runs in several processes sharing the database runs once per cron slot: the first
process to claim the slot (`claim_slot`) runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.services import Notify
from bot.settings import Settings
from storage import repositories as repo
from storage.database import Database

logger = logging.getLogger(__name__)


def current_slot(trigger: CronTrigger, now: datetime, grace_seconds: int) -> datetime:
    """The latest fire time of `trigger` at or before `now` (looking back `grace_seconds`)."""
    slot: datetime | None = None
    moment = trigger.get_next_fire_time(None, now - timedelta(seconds=grace_seconds))
    for _ in range(10_000):
        if moment is None or moment > now:
            break
        slot = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return (slot or now).astimezone(UTC).replace(microsecond=0)


# start_retrain(trigger, slot) -> started?; slot is the cron time a scheduled run belongs to.
StartRetrain = Callable[[str, "datetime | None"], bool]


@dataclass
class JobContext:
    """What the jobs need: the database, all settings, where to tell admins, how to retrain."""

    db: Database
    settings: Settings
    notify: Notify
    start_retrain: StartRetrain
    # The jobs' clock: which cron slot a run belongs to depends on it (tests set it).
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def fired_slot(ctx: JobContext, trigger: CronTrigger) -> datetime:
    """The cron slot of `trigger` this run belongs to (it may fire up to the grace period late)."""
    grace = ctx.settings.training.scheduler_misfire_grace_seconds
    return current_slot(trigger, ctx.now(), grace)


def claim_slot(ctx: JobContext, job: str, trigger: CronTrigger) -> bool:
    """True for the one process (of all sharing the database) that takes this cron slot of `job`."""
    slot = fired_slot(ctx, trigger)
    if repo.claim_event(ctx.db, event_id=f"{job}-slot:{slot.isoformat()}"):
        return True
    logger.info("%s for %s already ran in another process", job, slot.isoformat())
    return False
