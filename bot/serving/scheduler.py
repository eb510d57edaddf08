"""Scheduled jobs (APScheduler 3.x): periodic retrain, daily drift check, daily privacy purge,
the case follow-up (every minute) and the daily case summary (`bot.serving.case_jobs`).

`triagebot serve` runs them in a `BackgroundScheduler` in every serving process
(`start_serving_scheduler`, news posted to the admins in Slack); turn that off with
`SCHEDULER_ENABLED=false` when `triagebot scheduler` runs them alone in a `BlockingScheduler`
(`build_blocking_scheduler`) for deployments with several bot replicas. Every job coalesces
misfires into one run, never overlaps itself (`max_instances=1`) and still runs up to
`SCHEDULER_MISFIRE_GRACE_SECONDS` late.

Across processes sharing the database every job runs exactly once per cron slot: the retrain
claims its slot (`claim_event`) while holding the retrain lease (see `training.retrain.lease`),
the drift check and the purge claim theirs before they start, so a second scheduler (another
gunicorn worker, another replica) that fires for the same slot finds it taken. Cron expressions
are the usual five fields (minute hour day month weekday, 0 or 7 = Sunday) or six with seconds
first.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.services import Notify, Services
from bot.serving.case_jobs import scheduled_followups, scheduled_summary
from bot.serving.errors import ScheduleError
from bot.serving.job_context import JobContext as JobContext  # the jobs' context, re-exported
from bot.serving.job_context import claim_slot, fired_slot
from bot.settings import Settings
from bot.slack_api import build_client, call_or_skip
from storage import repositories as repo
from training.drift.detection import run_drift_check
from training.retrain.lease import recover_stale_runs

logger = logging.getLogger(__name__)

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NUMBER = re.compile(r"(?<![/\d])[0-7](?!\d)")


def cron_trigger(expression: str, timezone: str = "UTC") -> CronTrigger:
    """A trigger from a 5-field crontab line (or 6 fields, seconds first)."""
    fields = expression.split()
    names: tuple[str, ...] = ("minute", "hour", "day", "month", "day_of_week")
    if len(fields) == 6:
        names = ("second", *names)
    if len(fields) not in (5, 6):
        raise ScheduleError(f"cron {expression!r}: need 5 fields (or 6 with seconds first)")
    values = dict(zip(names, fields, strict=True))
    # APScheduler counts weekdays from Monday = 0; crontab from Sunday = 0: use names.
    values["day_of_week"] = _DAY_NUMBER.sub(
        lambda m: _DAY_NAMES[int(m.group())], values["day_of_week"]
    )
    try:
        return CronTrigger(timezone=timezone, **values)
    except (ValueError, LookupError) as exc:
        raise ScheduleError(f"cron {expression!r} ({timezone}): {exc}") from exc


def scheduled_retrain(ctx: JobContext, trigger: CronTrigger) -> None:
    """Job: retrain for the slot that just fired (skipped when another process took it)."""
    slot = fired_slot(ctx, trigger)
    try:
        ctx.start_retrain("schedule", slot)
    except Exception:
        logger.exception("scheduled retrain for %s failed", slot.isoformat())


def drift_check(ctx: JobContext, trigger: CronTrigger) -> None:
    """Job: the daily drift check; may start a retrain and tells the admins."""
    try:
        if not claim_slot(ctx, "drift-check", trigger):
            return
        run_drift_check(
            ctx.db,
            ctx.settings,
            notify=ctx.notify,
            start_retrain=lambda trigger: ctx.start_retrain(trigger, None),
        )
    except Exception:
        logger.exception("drift check failed")


def privacy_purge(ctx: JobContext, trigger: CronTrigger) -> None:
    """Job: delete message text past its retention period."""
    try:
        if not claim_slot(ctx, "privacy-purge", trigger):
            return
        removed = repo.purge_expired_texts(ctx.db)
        logger.info("privacy purge removed %d stored texts", removed)
    except Exception:
        logger.exception("privacy purge failed")


def add_jobs(scheduler: BaseScheduler, ctx: JobContext) -> None:
    """Register the jobs: retrain, drift check, purge and case summary (cron settings), and
    the case follow-up (an interval)."""
    training = ctx.settings.training
    tz = training.scheduler_timezone
    retrain_trigger = cron_trigger(training.retrain_cron, tz)
    scheduler.add_job(
        scheduled_retrain,
        retrain_trigger,
        args=(ctx, retrain_trigger),
        id="retrain",
        replace_existing=True,
    )
    for job_id, job, cron in (
        ("drift-check", drift_check, training.drift_check_cron),
        ("privacy-purge", privacy_purge, training.purge_cron),
        ("case-summary", scheduled_summary, ctx.settings.slack.case_summary_cron),
    ):
        trigger = cron_trigger(cron, tz)
        scheduler.add_job(job, trigger, args=(ctx, trigger), id=job_id, replace_existing=True)
    scheduler.add_job(
        scheduled_followups,
        IntervalTrigger(seconds=ctx.settings.slack.case_followup_seconds),
        args=(ctx,),
        id="case-followup",
        replace_existing=True,
    )


def _job_defaults(settings: Settings) -> dict[str, Any]:
    return {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": settings.training.scheduler_misfire_grace_seconds,
    }


def recover(ctx: JobContext) -> None:
    """At start: mark runs left `running` by a crashed process as failed (if none is live)."""
    try:
        recover_stale_runs(ctx.db)
    except Exception:
        logger.exception("could not check for stale training runs")


def start_background_scheduler(ctx: JobContext) -> BackgroundScheduler:
    """Start the jobs in daemon threads (inside `serve`); call `.shutdown()` on exit."""
    scheduler = BackgroundScheduler(
        job_defaults=_job_defaults(ctx.settings), timezone=ctx.settings.training.scheduler_timezone
    )
    recover(ctx)
    add_jobs(scheduler, ctx)
    scheduler.start()
    logger.info("background scheduler started: %s", describe_jobs(scheduler))
    return scheduler


def build_blocking_scheduler(ctx: JobContext) -> BlockingScheduler:
    """The jobs in a `BlockingScheduler` (call `.start()`; returns on shutdown or Ctrl-C)."""
    scheduler = BlockingScheduler(
        job_defaults=_job_defaults(ctx.settings), timezone=ctx.settings.training.scheduler_timezone
    )
    recover(ctx)
    add_jobs(scheduler, ctx)
    return scheduler


def describe_jobs(scheduler: BaseScheduler) -> str:
    parts = []
    for job in scheduler.get_jobs():
        when = getattr(job, "next_run_time", None)
        parts.append(f"{job.id} next {when.isoformat() if when else '(paused)'}")
    return "; ".join(parts)


def admin_notifier(settings: Settings) -> Notify:
    """Send a line to every `TRIAGE_ADMIN_USER_IDS` user (DM), else to the escalation channel.

    Always logged; with no bot token (OAuth installs, or Slack not connected yet) only logged.
    """
    slack = settings.slack
    token = slack.bot_token.get_secret_value() if slack.bot_token else None
    client = build_client(slack, token=token) if token else None
    targets = slack.admin_targets

    def notify(text: str) -> None:
        logger.warning("admin notice: %s", text)
        if client is None:
            return
        for channel in targets:
            call_or_skip(client.chat_postMessage, channel=channel, text=text)

    return notify


def start_serving_scheduler(settings: Settings, services: Services) -> BackgroundScheduler | None:
    """Start the background scheduler of this process; None when `SCHEDULER_ENABLED` is false."""
    if not settings.training.scheduler_enabled:
        logger.info("scheduler off in this process (SCHEDULER_ENABLED=false)")
        return None
    notify = admin_notifier(settings)

    def start_retrain(trigger: str, slot: datetime | None) -> bool:
        return services.retrainer.start(trigger, "scheduler", notify, slot=slot)

    return start_background_scheduler(JobContext(services.db, settings, notify, start_retrain))
