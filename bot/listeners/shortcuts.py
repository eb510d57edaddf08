"""Message shortcuts (they work in threads, where slash commands do not): classify, draft, correct."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.blocks.draft import build_draft_edit_modal, build_message_modal, build_working_modal
from bot.blocks.feedback import build_relabel_modal
from bot.blocks.prediction import build_prediction_blocks, build_prediction_text
from bot.listeners.commands import DRAFTS_OFF
from bot.listeners.errors import guarded
from bot.services import Services
from storage import repositories as repo

logger = logging.getLogger(__name__)


def message_state(body: dict[str, Any]) -> dict[str, Any]:
    """Where a shortcut's message lives: text, channel, ts, thread root, team."""
    message = body.get("message") or {}
    return {
        "t": str(message.get("text") or ""),
        "c": (body.get("channel") or {}).get("id"),
        "ts": message.get("ts"),
        "th": message.get("thread_ts") or message.get("ts"),
        "team": (body.get("team") or {}).get("id"),
    }


def register(app: App, services: Services) -> None:
    """Add the three message shortcuts."""

    @app.shortcut("classify_message")
    @guarded
    def handle_classify_message(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        """Classify the message; answer ephemerally with feedback buttons."""
        ack()
        metrics.count_request("shortcut")
        state = message_state(body)
        prediction = services.predict(state["t"])
        feedback = {"c": state["c"], "ts": state["ts"], "team": state["team"]}
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=build_prediction_text(prediction),
            blocks=build_prediction_blocks(
                state["t"], prediction, emoji=services.settings.slack.emoji, feedback_state=feedback
            ),
        )

    @app.shortcut("draft_reply")
    @guarded
    def handle_draft_reply(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Open a "working" modal at once (trigger_id expires), then fill it with the draft."""
        ack()
        metrics.count_request("shortcut")
        if services.drafter is None:
            client.views_open(
                trigger_id=body["trigger_id"], view=build_message_modal("Draft a reply", DRAFTS_OFF)
            )
            return
        opened = client.views_open(
            trigger_id=body["trigger_id"],
            view=build_working_modal("Draft a reply", "Drafting a reply…"),
        )
        state = message_state(body)
        draft = services.drafter.draft(state["t"], team_id=state["team"], channel_id=state["c"])
        metrics.observe_draft(draft.latency_ms / 1000)
        edit_state = {
            "m": state["t"],
            "d": draft.reply,
            "c": state["c"],
            "ts": state["ts"],
            "th": state["th"],
            "team": state["team"],
            "model": draft.model,
        }
        client.views_update(view_id=opened["view"]["id"], view=build_draft_edit_modal(edit_state))

    @app.shortcut("correct_label")
    @guarded
    def handle_correct_label(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Open the relabel modal for the message."""
        ack()
        metrics.count_request("shortcut")
        state = message_state(body)
        predicted = None
        if state["team"] and state["c"] and state["ts"]:
            record = repo.get_prediction(
                services.db, team_id=state["team"], channel_id=state["c"], message_ts=state["ts"]
            )
            predicted = record.label if record is not None else None
        modal_state = {**state, "l": predicted, "src": "shortcut"}
        client.views_open(trigger_id=body["trigger_id"], view=build_relabel_modal(modal_state))
