"""Approved replies: what an agent actually posted, for the generator's retrieval and training."""

from __future__ import annotations

import logging

from sqlalchemy import select

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.orm import ApprovedReply
from storage.records import ApprovedReplyRecord
from storage.repositories._texts import channel_stores_text
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)


def _record(row: ApprovedReply) -> ApprovedReplyRecord:
    return ApprovedReplyRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        message_text=row.message_text or None,
        reply_text=row.reply_text,
        draft_text=row.draft_text,
        model=row.model,
        created_at=row.created_at,
        message_ts=row.message_ts,
    )


def record_approved_reply(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    message_text: str | None,
    reply_text: str,
    draft_text: str | None = None,
    model: str | None = None,
    message_ts: str | None = None,
) -> ApprovedReplyRecord:
    """Keep the reply an agent posted (the agent chose to post it) and the message it answered.

    The reply is the team's own text and always kept. The customer's `message_text` is kept
    only if the channel's privacy mode is `store_text`, like a prediction's text; otherwise
    (or when None) the record's `message_text` is None and the reply is not used for retrieval
    or training. `message_ts` lets a later deletion of that Slack message delete the pair too.

    Raises:
        InvalidInput: empty or over-long texts or ids.
    """
    if message_text is not None:
        check.text_field("message_text", message_text, max_len=check.TEXT_LEN)
    row = ApprovedReply(
        team_id=check.ident("team_id", team_id),
        channel_id=check.ident("channel_id", channel_id),
        message_ts=check.optional_ident("message_ts", message_ts),
        user_id=check.ident("user_id", user_id),
        message_text="",  # set below, where the channel allows it
        reply_text=check.text_field("reply_text", reply_text, max_len=check.TEXT_LEN),
        draft_text=check.optional_text("draft_text", draft_text, max_len=check.TEXT_LEN),
        model=check.optional_text("model", model, max_len=check.NAME_LEN),
        created_at=utcnow(),
    )
    with db.transaction() as session:
        if message_text and channel_stores_text(
            session, team_id=row.team_id, channel_id=row.channel_id
        ):
            row.message_text = message_text
        session.add(row)
        session.flush()
        return _record(row)


def list_approved_replies(
    db: Database, *, team_id: Workspace, limit: int = 500
) -> list[ApprovedReplyRecord]:
    """The newest approved replies of `team_id` (a workspace or `ALL_WORKSPACES`), newest
    first."""
    query = scoped(select(ApprovedReply), ApprovedReply.team_id, team_id)
    query = query.order_by(ApprovedReply.id.desc()).limit(limit)
    with db.session() as session:
        return [_record(row) for row in session.scalars(query)]
