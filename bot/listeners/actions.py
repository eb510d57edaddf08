"""Buttons on messages: feedback (Correct / Wrong label), drafts (Post / Edit / Regenerate /
Discard) and the channel-mode choice offered when the bot is invited."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.blocks.draft import build_draft_edit_modal, build_posted_text, build_working_blocks
from bot.blocks.feedback import build_feedback_confirmation_text, build_relabel_modal
from bot.blocks.triage import MODES
from bot.jobs.queue import BUSY
from bot.jobs.types import DraftJob
from bot.listeners.errors import guarded
from bot.payloads import decode, feedback_target
from bot.permissions import channel_settings_refusal
from bot.replies import post_reply
from bot.services import Services
from models.types import LABELS
from storage import repositories as repo

logger = logging.getLogger(__name__)

EXPIRED = "That button no longer works (the message is too old). Please try again."
NOT_POSTED = "I could not post there. Invite me to the channel first, then try again."
HOME_MEMBERS_ONLY = "Only members of the workspace that installed triagebot can act on drafts."


def signed_team(context: BoltContext) -> str | None:
    """The workspace of the signed request, never one named in a button value or private_metadata.

    Bolt's `context.team_id` is the team it authorized: `view.app_installed_team_id`, else
    `team.id`, else (org-wide installs, where `team` is null) `user.team_id`. A `"team"` key in
    a payload comes back from the client, and a forged one must not write into another workspace.
    """
    return context.team_id


def from_another_workspace(body: dict[str, Any], context: BoltContext) -> bool:
    """True when the person who pressed is not a member of the signed (installing) workspace:
    in a Slack Connect channel the payload's `user.team_id` is the presser's own organisation."""
    user_team = (body.get("user") or {}).get("team_id")
    home = signed_team(context)
    return bool(user_team and home and user_team != home)


def tell(respond: Respond, text: str) -> None:
    """Answer only the person who clicked, leaving the clicked message as it is."""
    respond(response_type="ephemeral", replace_original=False, text=text)


def refuse_outsider(
    body: dict[str, Any], context: BoltContext, respond: Respond, text: str = HOME_MEMBERS_ONLY
) -> bool:
    """Answer an outsider's button with `text` (ephemerally) and return True; False for a member."""
    if not from_another_workspace(body, context):
        return False
    logger.info("button refused: user of team %s", body["user"].get("team_id"))
    tell(respond, text)
    return True


def register(app: App, services: Services) -> None:
    """Add the message button listeners."""

    @app.action("feedback_correct")
    @guarded
    def handle_feedback_correct(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        respond: Respond,
    ) -> None:
        """Store a confirmation of the predicted label."""
        ack()
        state = decode(action.get("value"))
        if state.get("l") not in LABELS:
            tell(respond, EXPIRED)
            return
        repo.record_feedback(
            services.db,
            label=state["l"],
            source="button",
            user_id=body["user"]["id"],
            text=state.get("t") or None,
            predicted_label=state["l"],
            **feedback_target(state, signed_team(context)),
        )
        metrics.count_feedback("button")
        tell(respond, build_feedback_confirmation_text(state["l"], confirmed=True))

    @app.action("feedback_wrong")
    @guarded
    def handle_feedback_wrong(
        ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient
    ) -> None:
        """Open the relabel modal (its submission takes the workspace from its own signed body)."""
        ack()
        state = decode(action.get("value"))
        client.views_open(trigger_id=body["trigger_id"], view=build_relabel_modal(state))

    @app.action("draft_post")
    @guarded
    def handle_draft_post(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Post the draft as it is and store it as an approved reply."""
        ack()
        if refuse_outsider(body, context, respond):
            return
        state = decode(action.get("value"))
        user_id = body["user"]["id"]
        state["team"] = signed_team(context)
        if not post_reply(
            services, client, state=state, reply=str(state.get("d") or ""), user_id=user_id
        ):
            tell(respond, NOT_POSTED)
            return
        respond(replace_original=True, text=build_posted_text(user_id, edited=False))

    @app.action("draft_edit")
    @guarded
    def handle_draft_edit(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Open the draft in an edit modal; submitting it posts the edited reply."""
        ack()
        if refuse_outsider(body, context, respond):
            return
        state = decode(action.get("value"))
        state["r"] = body.get("response_url")
        client.views_open(trigger_id=body["trigger_id"], view=build_draft_edit_modal(state))

    @app.action("draft_regenerate")
    @guarded
    def handle_draft_regenerate(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        respond: Respond,
    ) -> None:
        """Replace the draft with a new one."""
        ack()
        if refuse_outsider(body, context, respond):
            return
        state = decode(action.get("value"))
        if not services.drafts_enabled or not state.get("m"):
            tell(respond, EXPIRED)
            return
        job = DraftJob(
            mode="regenerate",
            text=str(state["m"]),
            team_id=signed_team(context),
            channel_id=state.get("c"),
            response_url=body.get("response_url"),
            message_ts=state.get("ts"),
            thread_ts=state.get("th"),
        )
        if not services.submit(job):
            tell(respond, BUSY)
            return
        respond(
            replace_original=True,
            text="Regenerating…",
            blocks=build_working_blocks("Drafting another reply…"),
        )

    @app.action("draft_discard")
    @guarded
    def handle_draft_discard(
        ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond
    ) -> None:
        """Remove the draft message."""
        ack()
        if refuse_outsider(body, context, respond):
            return
        respond(delete_original=True)

    @app.action("channel_mode_choose")
    @guarded
    def handle_channel_mode_choose(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Store the mode picked in the prompt posted when the bot is invited (admins only)."""
        ack()
        refusal = channel_settings_refusal(
            services.is_admin, client, body["user"]["id"], team_id=signed_team(context)
        )
        if refusal:  # the prompt stays for an admin to answer
            tell(respond, refusal)
            return
        channel_id, _, mode = str(action.get("value") or "").partition(":")
        # The prompt is posted in the channel it is about, and the signed body names that channel.
        posted_in = (body.get("channel") or {}).get("id") or channel_id
        if not channel_id or channel_id != posted_in or mode not in (*MODES, "off"):
            tell(respond, EXPIRED)
            return
        repo.set_channel_settings(
            services.db,
            team_id=str(signed_team(context)),
            channel_id=channel_id,
            enabled=mode != "off",
            mode=mode if mode != "off" else "tag",
            set_by=body["user"]["id"],
        )
        text = (
            f"Automatic triage is off in <#{channel_id}>."
            if mode == "off"
            else f":white_check_mark: Automatic triage is on in <#{channel_id}> (mode *{mode}*)."
        )
        respond(replace_original=True, text=text)
