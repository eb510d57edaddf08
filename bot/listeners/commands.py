"""Slash commands `/sentiment` and `/draft` (names from settings); `/triage` is in `triage_command`.

They validate, submit a job and ack: the answer follows on the command's `response_url`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot import metrics
from bot.auto_triage import MAX_TEXT
from bot.blocks.triage import build_usage_text
from bot.jobs.queue import BUSY
from bot.jobs.types import ClassifyJob, DraftJob
from bot.listeners.errors import guarded
from bot.services import Services

logger = logging.getLogger(__name__)

DRAFTS_OFF = "Drafting replies is turned off on this server."


def register(app: App, services: Services) -> None:
    """Add the `/sentiment` and `/draft` commands."""
    slack = services.settings.slack

    @app.command(slack.sentiment_command)
    @guarded
    def handle_sentiment(ack: Ack, command: dict[str, Any]) -> None:
        """Classify the command text; the answer (scores, feedback buttons) follows ephemerally."""
        text = str(command.get("text") or "").strip()
        if not text:
            ack(response_type="ephemeral", text=build_usage_text(slack.sentiment_command, "TEXT"))
            return
        metrics.count_request("command")
        job = ClassifyJob(
            text=text[:MAX_TEXT],
            team_id=command.get("team_id"),
            channel_id=command.get("channel_id"),
            response_url=str(command.get("response_url") or ""),
        )
        ack_submitted(ack, services.submit(job))

    @app.command(slack.draft_command)
    @guarded
    def handle_draft(ack: Ack, command: dict[str, Any]) -> None:
        """Say "Drafting..." at once; the draft follows through response_url."""
        text = str(command.get("text") or "").strip()
        if not text:
            ack(response_type="ephemeral", text=build_usage_text(slack.draft_command, "TEXT"))
            return
        if not services.drafts_enabled:
            ack(response_type="ephemeral", text=DRAFTS_OFF)
            return
        metrics.count_request("command")
        job = DraftJob(
            mode="command",
            text=text[:MAX_TEXT],
            team_id=command.get("team_id"),
            channel_id=command.get("channel_id"),
            response_url=command.get("response_url"),
        )
        ack_submitted(
            ack,
            services.submit(job),
            working=":hourglass_flowing_sand: Drafting a reply…",
        )


def ack_submitted(ack: Ack, submitted: bool, *, working: str | None = None) -> None:
    """Ack a command whose job was (or could not be) queued: "working" text, or say we're busy."""
    if not submitted:
        ack(response_type="ephemeral", text=BUSY)
    elif working:
        ack(response_type="ephemeral", text=working)
    else:
        ack()
