"""Message shortcuts (they work in threads, where slash commands do not): classify, draft, correct."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.auto_triage import MAX_TEXT
from bot.blocks.draft import build_message_modal, build_working_modal
from bot.blocks.feedback import build_relabel_modal
from bot.jobs.queue import BUSY
from bot.jobs.types import ClassifyJob, DraftJob
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
        """Classify the message; the answer (with feedback buttons) follows ephemerally."""
        ack()
        metrics.count_request("shortcut")
        state = message_state(body)
        job = ClassifyJob(
            text=state["t"][:MAX_TEXT],
            team_id=state["team"],
            channel_id=state["c"],
            response_url=str(body.get("response_url") or ""),
            message_ts=state["ts"],
        )
        if not services.submit(job):
            respond(response_type="ephemeral", replace_original=False, text=BUSY)

    @app.shortcut("draft_reply")
    @guarded
    def handle_draft_reply(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Open a "working" modal at once (trigger_id expires); a job fills it with the draft."""
        ack()
        metrics.count_request("shortcut")
        if not services.drafts_enabled:
            client.views_open(
                trigger_id=body["trigger_id"], view=build_message_modal("Draft a reply", DRAFTS_OFF)
            )
            return
        opened = client.views_open(
            trigger_id=body["trigger_id"],
            view=build_working_modal("Draft a reply", "Drafting a reply…"),
        )
        state = message_state(body)
        job = DraftJob(
            mode="shortcut",
            text=state["t"][:MAX_TEXT],
            team_id=state["team"],
            channel_id=state["c"],
            view_id=opened["view"]["id"],
            message_ts=state["ts"],
            thread_ts=state["th"],
        )
        if not services.submit(job):
            client.views_update(
                view_id=opened["view"]["id"], view=build_message_modal("Draft a reply", BUSY)
            )

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
