"""Privacy: delete a message's text, purge expired texts, delete everything of a workspace."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Column, MetaData, String, Table, delete, update
from sqlalchemy.orm import Session

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.orm import (
    AdminAction,
    AlertDigestRow,
    AlertRow,
    ApprovedReply,
    CaseEventRow,
    CaseRow,
    ChannelSettings,
    FeedbackRow,
    MessageText,
    OutboxRow,
    PredictionRow,
    SlackPace,
)
from storage.repositories._common import moment
from storage.repositories._markers import mark_deleted
from storage.repositories.alert_changes import forget_alert_text
from storage.repositories.case_changes import withdraw_case

logger = logging.getLogger(__name__)


def delete_message_text(db: Database, *, team_id: str, channel_id: str, message_ts: str) -> int:
    """Forget a message deleted in Slack: its stored text and approved replies quoting it.

    Its alert keeps ids and label but stops quoting it (`alert_changes.forget_alert_text`): an
    alert not sent yet is not posted, a posted one is replaced in Slack by a notice, a
    digest is rendered again without it. Its case, unless resolved, is closed as `withdrawn`
    (`case_changes.withdraw_case`): never followed up, no longer counted open. The deletion is remembered for a while, so an edit of
    the message still queued does not store or quote it again. Predictions and feedback keep
    their labels and ids. Returns the number of rows deleted.
    """
    check.ident("team_id", team_id)
    check.ident("channel_id", channel_id)
    check.ident("message_ts", message_ts)
    deleted = 0
    with db.transaction() as session:
        for model in (MessageText, ApprovedReply):
            result = session.execute(
                delete(model).where(
                    model.team_id == team_id,
                    model.channel_id == channel_id,
                    model.message_ts == message_ts,
                )
            )
            deleted += int(result.rowcount)  # type: ignore[attr-defined]
        forget_alert_text(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
        withdraw_case(
            session, team_id=team_id, channel_id=channel_id, message_ts=message_ts, now=utcnow()
        )
        mark_deleted(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
    return deleted


def purge_expired_texts(db: Database, *, now: datetime | None = None) -> int:
    """Delete stored message texts past their retention deadline; return how many.

    Approved replies older than the retention period (`db.retention_days`) lose the customer's
    message text they quote; the agent's reply, the team's own text, is kept. Alerts of that
    age lose the text they quote.
    """
    instant = moment("now", now)
    with db.transaction() as session:
        result = session.execute(delete(MessageText).where(MessageText.expires_at <= instant))
        count = int(result.rowcount)  # type: ignore[attr-defined]
        result = session.execute(
            update(ApprovedReply)
            .where(
                ApprovedReply.created_at <= instant - timedelta(days=db.retention_days),
                ApprovedReply.message_text != "",
            )
            .values(message_text="")
        )
        count += int(result.rowcount)  # type: ignore[attr-defined]
        result = session.execute(
            update(AlertRow)
            .where(
                AlertRow.created_at <= instant - timedelta(days=db.retention_days),
                AlertRow.text.is_not(None),
            )
            .values(text=None)
        )
        count += int(result.rowcount)  # type: ignore[attr-defined]
    logger.info("purged %d expired message texts", count)
    return count


def delete_workspace(db: Database, *, team_id: str) -> int:
    """Delete all data of an uninstalled workspace, its Slack installations included.

    Returns the number of rows deleted.
    """
    check.ident("team_id", team_id)
    deleted = 0
    with db.transaction() as session:
        for model in (
            MessageText,
            FeedbackRow,
            PredictionRow,
            ApprovedReply,
            ChannelSettings,
            AdminAction,
            OutboxRow,
            AlertRow,
            AlertDigestRow,
            CaseRow,
            CaseEventRow,
            SlackPace,
        ):
            result = session.execute(delete(model).where(model.team_id == team_id))
            deleted += int(result.rowcount)  # type: ignore[attr-defined]
        deleted += _delete_slack_rows(session, team_id)
    logger.info("deleted workspace %s: %d rows", team_id, deleted)
    return deleted


def _delete_slack_rows(session: Session, team_id: str) -> int:
    """slack_sdk's tables are not ORM-mapped here: a one-column stand-in is enough to delete."""
    deleted = 0
    for name in ("slack_installations", "slack_bots"):
        table = Table(name, MetaData(), Column("team_id", String(32)))
        result = session.execute(delete(table).where(table.c.team_id == team_id))
        deleted += int(result.rowcount)  # type: ignore[attr-defined]
    return deleted
