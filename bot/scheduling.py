"""The scheduled jobs inside `triagebot serve`, with their news posted to the admins in Slack.

Every serving process (each gunicorn worker, each replica) starts the same background scheduler;
the jobs claim their cron slot in the database, so each runs once per slot wherever it fires
(see `training.scheduler`). Turn it off with `SCHEDULER_ENABLED=false` when `triagebot scheduler`
runs as its own process.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.services import Notify, Services
from bot.settings import Settings
from bot.slack_api import build_client, call_or_skip

logger = logging.getLogger(__name__)


def admin_notifier(settings: Settings) -> Notify:
    """Send a line to every `TRIAGE_ADMIN_USER_IDS` user (DM), else to the escalation channel.

    Always logged; with no bot token (OAuth installs, or Slack not connected yet) only logged.
    """
    slack = settings.slack
    token = slack.bot_token.get_secret_value() if slack.bot_token else None
    client = build_client(slack, token=token) if token else None
    targets = sorted(slack.admin_ids) or (
        [slack.escalation_channel] if slack.escalation_channel else []
    )

    def notify(text: str) -> None:
        logger.warning("admin notice: %s", text)
        if client is None:
            return
        for channel in targets:
            call_or_skip(client.chat_postMessage, channel=channel, text=text)

    return notify


def start_serving_scheduler(settings: Settings, services: Services) -> Any | None:
    """Start the background scheduler of this process; None when `SCHEDULER_ENABLED` is false."""
    if not settings.training.scheduler_enabled:
        logger.info("scheduler off in this process (SCHEDULER_ENABLED=false)")
        return None
    from training.scheduler import JobContext, start_background_scheduler

    notify = admin_notifier(settings)

    def start_retrain(trigger: str, slot: datetime | None) -> bool:
        return services.retrainer.start(trigger, "scheduler", notify, slot=slot)

    return start_background_scheduler(JobContext(services.db, settings, notify, start_retrain))
