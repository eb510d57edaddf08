"""Suggested-reply messages with Post / Edit / Regenerate / Discard, and the edit modal."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import (
    Block,
    actions,
    button,
    clip,
    context,
    escape_mrkdwn,
    plain,
    quote,
    section,
)
from bot.payloads import METADATA_LIMIT, encode
from models.types import Draft

EDIT_CALLBACK = "draft_edit_submit"


def build_draft_blocks(draft: Draft, state: dict[str, Any]) -> list[Block]:
    """A suggested reply with its buttons.

    Args:
        draft: the suggested reply.
        state: where to post and what for: `m` customer message, `c` channel, `th` thread ts,
            `team`; the draft text is added as `d`.
    """
    value = encode({**state, "d": draft.reply})
    sentiment = f" · customer sentiment *{draft.sentiment}*" if draft.sentiment else ""
    return [
        section(f"*Suggested reply*\n{quote(draft.reply, 2500)}"),
        context(f"drafted by `{draft.model}` in {draft.latency_ms / 1000:.1f} s{sentiment}"),
        actions(
            button("Post to channel", "draft_post", value, style="primary"),
            button("Edit", "draft_edit", value),
            button("Regenerate", "draft_regenerate", value),
            button("Discard", "draft_discard", value, style="danger"),
            block_id="draft",
        ),
    ]


def draft_metadata(
    draft: Draft, *, channel_id: str | None, message_ts: str | None, label: str | None
) -> dict[str, Any]:
    """Message metadata of a posted draft (`triage_draft`), for other apps and workflows: the
    message it answers (`channel`, `ts`), the message's label when known and the generator."""
    payload: dict[str, Any] = {"model": draft.model}
    if channel_id and message_ts:
        payload.update(channel=channel_id, ts=message_ts)
    if label or draft.sentiment:
        payload["label"] = label or draft.sentiment
    return {"event_type": "triage_draft", "event_payload": payload}


def build_draft_text(draft: Draft) -> str:
    """The notification fallback of a draft message: the start of the reply (escaped)."""
    return "Suggested reply: " + clip(escape_mrkdwn(" ".join(draft.reply.split())), 200)


def build_working_blocks(message: str) -> list[Block]:
    """A placeholder shown while slow work runs."""
    return [context(f":hourglass_flowing_sand: {message}")]


def build_working_modal(title: str, message: str) -> dict[str, Any]:
    """A modal opened at once (trigger_id lives ~3 s) and updated when the work is done."""
    return {
        "type": "modal",
        "title": plain(title[:24]),
        "close": plain("Close"),
        "blocks": [section(f":hourglass_flowing_sand: {message}")],
    }


def build_message_modal(title: str, message: str) -> dict[str, Any]:
    """A modal that only says something (results, errors)."""
    return {
        "type": "modal",
        "title": plain(title[:24]),
        "close": plain("Close"),
        "blocks": [section(message)],
    }


def build_draft_edit_modal(state: dict[str, Any]) -> dict[str, Any]:
    """A modal with the draft in an editable input; submitting posts it.

    Args:
        state: `d` draft text, `m` customer message, `c` channel, `th` thread ts, `team`,
            and optionally `r` the response_url of the message to replace.
    """
    return {
        "type": "modal",
        "callback_id": EDIT_CALLBACK,
        "title": plain("Edit the reply"),
        "submit": plain("Post"),
        "close": plain("Cancel"),
        "private_metadata": encode(state, limit=METADATA_LIMIT),
        "blocks": [
            section(f"Replying to:\n{quote(str(state.get('m', '')))}"),
            {
                "type": "input",
                "block_id": "reply",
                "label": plain("Reply"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reply",
                    "multiline": True,
                    "max_length": 3000,
                    "initial_value": str(state.get("d", ""))[:3000],
                },
            },
        ],
    }


def build_posted_text(user_id: str, *, edited: bool) -> str:
    """What a draft message turns into once posted."""
    how = "edited and posted" if edited else "posted"
    return f":white_check_mark: Reply {how} by <@{user_id}>."
