"""The admin audit log: who did what, in which workspace."""

from __future__ import annotations

import logging

from sqlalchemy import select

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.orm import AdminAction
from storage.records import AdminActionRecord
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)


def _action(row: AdminAction) -> AdminActionRecord:
    return AdminActionRecord(
        id=row.id,
        team_id=row.team_id,
        user_id=row.user_id,
        action=row.action,
        detail=row.detail,
        created_at=row.created_at,
    )


def record_admin_action(
    db: Database, *, team_id: str, user_id: str, action: str, detail: str = ""
) -> AdminActionRecord:
    """Log who did what ("promote", "rollback", "retrain", "channel"...)."""
    row = AdminAction(
        team_id=check.ident("team_id", team_id),
        user_id=check.ident("user_id", user_id),
        action=check.text_field("action", action, max_len=check.NAME_LEN),
        detail=check.text_field("detail", detail, max_len=check.NOTE_LEN, allow_empty=True),
        created_at=utcnow(),
    )
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return _action(row)


def list_admin_actions(
    db: Database, *, team_id: Workspace, limit: int = 50
) -> list[AdminActionRecord]:
    """The newest admin actions of `team_id` (a workspace or `ALL_WORKSPACES`), newest first."""
    query = scoped(select(AdminAction), AdminAction.team_id, team_id)
    query = query.order_by(AdminAction.id.desc()).limit(limit)
    with db.session() as session:
        return [_action(row) for row in session.scalars(query)]
