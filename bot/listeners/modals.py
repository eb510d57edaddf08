"""Modal submissions: the relabel modal, the draft edit modal and channel settings (with the
channel's case settings)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.blocks.draft import EDIT_CALLBACK, build_posted_text
from bot.blocks.feedback import RELABEL_CALLBACK, build_feedback_done_modal
from bot.listeners.actions import NOT_POSTED, signed_team
from bot.listeners.errors import guarded
from bot.listeners.home import publish_home
from bot.payloads import decode, feedback_target
from bot.permissions import bot_can_post_in, channel_settings_refusal
from bot.replies import post_reply
from bot.services import Services
from bot.slack_api import call_or_skip
from models.types import LABELS
from storage import repositories as repo
from storage.repositories import CaseSettings
from storage.repositories.channels import MAX_TARGET_MINUTES

logger = logging.getLogger(__name__)

ONCALL_GROUP = re.compile(r"S[A-Z0-9]{2,20}")
CANNOT_POST_THERE = (
    "I can't post in that channel. Invite me to it first (/invite @triagebot), or pick another."
)


def field_value(view: dict[str, Any], block_id: str, key: str = "value") -> Any:
    """The submitted value of input `block_id` (action id == block id), or None.

    None too where the view's state is not the nesting of objects Slack sends.
    """
    values = _object(_object(view.get("state")).get("values"))
    element = _object(_object(values.get(block_id)).get(block_id))
    if key == "selected_option":
        return _object(element.get("selected_option")).get("value")
    return element.get(key)


def case_settings(view: dict[str, Any]) -> CaseSettings | dict[str, str]:
    """The case settings of the channel settings modal, or its errors by block id."""
    raw_target = str(field_value(view, "target") or "").strip()
    oncall = str(field_value(view, "oncall") or "").strip().upper() or None
    checked = field_value(view, "auto_resolve", "selected_options")
    if raw_target and not (raw_target.isdigit() and 1 <= int(raw_target) <= MAX_TARGET_MINUTES):
        return {"target": f"A whole number of minutes, 1 to {MAX_TARGET_MINUTES}."}
    if oncall and not ONCALL_GROUP.fullmatch(oncall):
        return {"oncall": "A user group id looks like S0123ABCD."}
    return CaseSettings(
        response_target_minutes=int(raw_target) if raw_target else None,
        auto_resolve_on_reply=bool(checked),
        oncall_group=oncall,
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def register(app: App, services: Services) -> None:
    """Add the view submission listeners."""

    @app.view(RELABEL_CALLBACK)
    @guarded
    def handle_relabel_submit(
        ack: Ack, view: dict[str, Any], body: dict[str, Any], context: BoltContext
    ) -> None:
        """Store the corrected label and turn the modal into a short confirmation."""
        label = field_value(view, "label", "selected_option")
        if label not in LABELS:
            ack(response_action="errors", errors={"label": "Pick one of the labels."})
            return
        ack(response_action="update", view=build_feedback_done_modal(label))
        state = decode(view.get("private_metadata"))
        source = "shortcut" if state.get("src") == "shortcut" else "modal"
        repo.record_feedback(
            services.db,
            label=label,
            source=source,
            user_id=body["user"]["id"],
            text=state.get("t") or None,
            note=str(field_value(view, "note") or "").strip()[:2000] or None,
            predicted_label=state.get("l"),
            **feedback_target(state, signed_team(context)),
        )
        metrics.count_feedback(source)

    @app.view(EDIT_CALLBACK)
    @guarded
    def handle_draft_edit_submit(
        ack: Ack,
        view: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
    ) -> None:
        """Post the edited reply; store the draft and the edited version."""
        reply = str(field_value(view, "reply") or "").strip()
        if not reply:
            ack(response_action="errors", errors={"reply": "The reply is empty."})
            return
        ack()
        state = {**decode(view.get("private_metadata")), "team": signed_team(context)}
        user_id = body["user"]["id"]
        if not post_reply(services, client, state=state, reply=reply, user_id=user_id):
            call_or_skip(client.chat_postMessage, channel=user_id, text=NOT_POSTED)
            return
        if state.get("r"):
            WebhookClient(state["r"]).send(
                replace_original=True,
                text=build_posted_text(user_id, edited=reply != state.get("d")),
            )

    @app.view("channel_settings_submit")
    @guarded
    def handle_channel_settings_submit(
        ack: Ack,
        view: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
    ) -> None:
        """Save a channel's settings from the App Home modal (admins only)."""
        user_id, team_id = body["user"]["id"], str(signed_team(context))
        refusal = channel_settings_refusal(services.is_admin, client, user_id, team_id=team_id)
        if refusal:
            ack(response_action="errors", errors={"channel": refusal})
            return
        channel = field_value(view, "channel", "selected_conversation")
        mode = field_value(view, "mode", "selected_option") or "alert"
        privacy = field_value(view, "privacy", "selected_option") or "ids_only"
        escalation = field_value(view, "escalation", "selected_conversation")
        if not channel:
            ack(response_action="errors", errors={"channel": "Pick a channel."})
            return
        if escalation and not bot_can_post_in(client, escalation):
            ack(response_action="errors", errors={"escalation": CANNOT_POST_THERE})
            return
        cases = case_settings(view)
        if isinstance(cases, dict):
            ack(response_action="errors", errors=cases)
            return
        ack()
        repo.set_channel_settings(
            services.db,
            team_id=team_id,
            channel_id=channel,
            enabled=mode != "off",
            mode=mode if mode != "off" else "tag",
            privacy_mode=privacy,
            escalation_channel=escalation,
            set_by=user_id,
            cases=cases,
        )
        logger.info("channel %s settings saved by %s: %s/%s", channel, user_id, mode, privacy)
        publish_home(services, client, user_id=user_id, team_id=team_id)
