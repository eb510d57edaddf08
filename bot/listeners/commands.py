"""Slash commands `/sentiment` and `/draft` (names from settings); `/triage` is in `triage_command`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import metrics
from bot.blocks.draft import build_draft_blocks, build_draft_text
from bot.blocks.prediction import build_prediction_blocks, build_prediction_text
from bot.blocks.triage import build_usage_text
from bot.listeners.errors import guarded
from bot.services import Services

logger = logging.getLogger(__name__)

DRAFTS_OFF = "Drafting replies is turned off on this server."


def register(app: App, services: Services) -> None:
    """Add the `/sentiment` and `/draft` commands."""
    slack = services.settings.slack

    @app.command(slack.sentiment_command)
    @guarded
    def handle_sentiment(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        """Classify the command text; answer ephemerally with scores and feedback buttons."""
        text = str(command.get("text") or "").strip()
        if not text:
            ack(response_type="ephemeral", text=build_usage_text(slack.sentiment_command, "TEXT"))
            return
        ack()
        metrics.count_request("command")
        prediction = services.predict(text)
        state = {"c": command.get("channel_id"), "team": command.get("team_id")}
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=build_prediction_text(prediction),
            blocks=build_prediction_blocks(
                text, prediction, emoji=slack.emoji, feedback_state=state
            ),
        )

    @app.command(slack.draft_command)
    @guarded
    def handle_draft(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        """Suggest a reply to the command text; answer after the ack through response_url."""
        text = str(command.get("text") or "").strip()
        if not text:
            ack(response_type="ephemeral", text=build_usage_text(slack.draft_command, "TEXT"))
            return
        if services.drafter is None:
            ack(response_type="ephemeral", text=DRAFTS_OFF)
            return
        ack(response_type="ephemeral", text=":hourglass_flowing_sand: Drafting a reply…")
        metrics.count_request("command")
        team_id, channel_id = command.get("team_id"), command.get("channel_id")
        draft = services.drafter.draft(text, team_id=team_id, channel_id=channel_id)
        metrics.observe_draft(draft.latency_ms / 1000)
        state = {"m": text, "c": channel_id, "team": team_id}
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=build_draft_text(draft),
            blocks=build_draft_blocks(draft, state),
        )
