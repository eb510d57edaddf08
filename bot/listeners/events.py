"""Events: channel messages (automatic triage), the bot joining a channel, mentions, uninstalls
and token revocations (only an uninstall deletes a workspace's data)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import metrics
from bot.auto_triage import edit_job, is_new_human_message, triage_job
from bot.blocks.triage import build_help_text, build_mode_prompt_blocks
from bot.case_actions import resolve_on_agent_reply
from bot.listeners.errors import guarded
from bot.services import Services
from bot.slack_api import call_or_skip
from storage import repositories as repo

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Add the event listeners."""

    # `event("message")`, not `app.message()`: edits, joins and deletions must be acked too.
    @app.event("message")
    @guarded
    def handle_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """Queue a new or edited human message in an opted-in channel for triage; forget
        deleted text; resolve a case an agent answered in its thread."""
        metrics.count_request("event")
        team_id = str(context.team_id or body.get("team_id") or "")
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            handle_message_deleted(team_id, event)
            return
        if subtype != "message_changed" and not is_new_human_message(event):
            return
        if subtype != "message_changed":
            resolve_on_agent_reply(services, team_id=team_id, event=event)
        make_job = edit_job if subtype == "message_changed" else triage_job
        job = make_job(
            services,
            team_id=team_id,
            event=event,
            event_id=body.get("event_id"),
            ext_shared=body.get("is_ext_shared_channel") is True,  # Slack Connect
        )
        if isinstance(job, str):
            logger.debug("message %s/%s: %s", event.get("channel"), event.get("ts"), job)
        elif not services.submit(job):
            logger.warning("message %s/%s not triaged: busy", job.channel_id, job.ts)

    def handle_message_deleted(team_id: str, event: dict[str, Any]) -> None:
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        if ts:
            repo.delete_message_text(
                services.db, team_id=team_id, channel_id=str(event.get("channel")), message_ts=ts
            )

    @app.event("member_joined_channel")
    @guarded
    def handle_member_joined_channel(
        event: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """When the bot itself is invited, ask the inviter how it should work in the channel."""
        if event.get("user") != context.bot_user_id:
            return
        channel_id = str(event.get("channel"))
        blocks = build_mode_prompt_blocks(channel_id)
        text = "How should triagebot work in this channel?"
        inviter = event.get("inviter")
        if inviter:
            call_or_skip(
                client.chat_postEphemeral,
                channel=channel_id,
                user=inviter,
                blocks=blocks,
                text=text,
            )
        else:
            call_or_skip(client.chat_postMessage, channel=channel_id, blocks=blocks, text=text)

    @app.event("app_mention")
    @guarded
    def handle_app_mention(event: dict[str, Any], client: WebClient) -> None:
        """Answer a mention with the help text, in the thread."""
        slack = services.settings.slack
        names = {
            "sentiment": slack.sentiment_command,
            "draft": slack.draft_command,
            "triage": slack.triage_command,
        }
        call_or_skip(
            client.chat_postMessage,
            channel=event.get("channel"),
            thread_ts=event.get("thread_ts") or event.get("ts"),
            text=build_help_text(names),
        )

    @app.event("app_uninstalled")
    @guarded
    def handle_app_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        """The workspace is gone: forget its installation, settings and stored data (once)."""
        if not _first_delivery(services, body):
            return
        if services.installation_store is not None:
            app.default_app_uninstalled_event_listener()(context=context)  # Bolt's: delete_all
        team_id = str(context.team_id or body.get("team_id"))
        logger.info("app uninstalled: forgetting workspace %s", team_id)
        repo.delete_workspace(services.db, team_id=team_id)

    @app.event("tokens_revoked")
    @guarded
    def handle_tokens_revoked(
        event: dict[str, Any], body: dict[str, Any], context: BoltContext
    ) -> None:
        """Forget the revoked tokens (user tokens, the bot's or both); the workspace's data stays."""
        # One workspace (SLACK_BOT_TOKEN): the token lives in the settings, nothing is stored.
        if services.installation_store is None or not _first_delivery(services, body):
            return
        tokens = event.get("tokens") or {}
        logger.info(
            "tokens revoked in %s: %d user, %d bot",
            context.team_id,
            len(tokens.get("oauth") or []),
            len(tokens.get("bot") or []),
        )
        # Bolt's built-in: `delete_installation(user_id=...)` per user, `delete_bot` for the bot.
        app.default_tokens_revoked_event_listener()(event=event, context=context)


def _first_delivery(services: Services, body: dict[str, Any]) -> bool:
    """False for a redelivery: Slack retries with the same event id (maybe after a reinstall)."""
    event_id = body.get("event_id")
    return not event_id or repo.claim_event(services.db, event_id=str(event_id))
