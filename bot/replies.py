"""Posting an approved reply: to the channel (or thread), and into storage as an approved reply."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.blocks.common import escape_mrkdwn
from bot.services import Services
from bot.slack_api import call_or_skip
from storage import repositories as repo

logger = logging.getLogger(__name__)


def post_reply(
    services: Services,
    client: WebClient,
    *,
    state: dict[str, Any],
    reply: str,
    user_id: str,
) -> bool:
    """Post `reply` where the draft's state says; store it with the original draft.

    State keys: `c` channel, `th` thread, `m` customer message, `ts` its ts, `d` draft, `team`.

    Returns False (nothing stored) when Slack refused the post, e.g. the bot is not in the channel.
    """
    channel_id = state.get("c")
    if not channel_id or not reply.strip():
        return False
    # The reply is plain text (a model's draft or the edit modal's input): `<!channel>` in it
    # must not ping anyone.
    kwargs: dict[str, Any] = {"channel": channel_id, "text": escape_mrkdwn(reply)}
    if state.get("th"):
        kwargs["thread_ts"] = state["th"]
    if call_or_skip(client.chat_postMessage, **kwargs) is None:
        return False
    repo.record_approved_reply(
        services.db,
        team_id=str(state.get("team") or ""),
        channel_id=str(channel_id),
        user_id=user_id,
        # Kept only where the channel's privacy mode allows; `ts` (the customer's message) lets
        # its deletion in Slack delete the pair.
        message_text=str(state.get("m") or "") or None,
        reply_text=reply,
        draft_text=state.get("d"),
        model=state.get("model"),
        message_ts=state.get("ts"),
    )
    logger.info("reply posted in %s by %s", channel_id, user_id)
    return True
