"""Pacing of Slack writes, shared by every process on the database (GCRA, one row per scope).

The generic cell rate algorithm keeps one "theoretical arrival time" (`tat`) per scope: a write
may go when `tat - now <= interval * (burst - 1)`, and each write moves `tat` on by `interval`.
So a scope allows `burst` writes at once, then one per `interval`. A 429 sets `blocked_until`
from its Retry-After, which holds back every write of the scope until then.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from storage import validation as check
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import SlackPace
from storage.repositories._common import moment, upsert_insert

logger = logging.getLogger(__name__)

NO_TEAM = "-"  # writes that name no workspace (response_url, single-workspace notices)


def _checked(team_id: str | None, scope: str) -> str:
    check.text_field("scope", scope, max_len=check.NAME_LEN)
    return NO_TEAM if team_id is None else check.ident("team_id", team_id)


def reserve_slot(
    db: Database,
    *,
    team_id: str | None,
    scope: str,
    interval: float,
    burst: int = 1,
    now: datetime | None = None,
) -> float:
    """Take the scope's next slot if it is free now; return 0.0, or the seconds to wait.

    With `interval` 0 only a 429's hold applies. Nothing is taken when a wait is returned.
    """
    team = _checked(team_id, scope)
    if interval < 0 or not isinstance(burst, int) or burst < 1:
        raise InvalidInput(f"bad interval {interval!r} or burst {burst!r}")
    instant = moment("now", now)
    with db.transaction() as session:
        session.execute(
            upsert_insert(session, SlackPace.__table__)
            .values(team_id=team, scope=scope, tat=instant, blocked_until=None)
            .on_conflict_do_nothing(index_elements=["team_id", "scope"])
        )
        pace = session.scalars(
            select(SlackPace)
            .where(SlackPace.team_id == team, SlackPace.scope == scope)
            .with_for_update()
        ).one()
        if pace.blocked_until is not None and pace.blocked_until > instant:
            return (pace.blocked_until - instant).total_seconds()
        tat = max(pace.tat, instant)
        early = (tat - instant).total_seconds() - interval * (burst - 1)
        if early > 0:
            return early
        pace.tat = tat + timedelta(seconds=interval)
        pace.blocked_until = None
        return 0.0


def hold_scope(db: Database, *, team_id: str | None, scope: str, until: datetime) -> None:
    """Hold back every write of the scope until `until` (Slack's Retry-After)."""
    team = _checked(team_id, scope)
    instant = moment("until", until)
    with db.transaction() as session:
        insert = upsert_insert(session, SlackPace.__table__).values(
            team_id=team, scope=scope, tat=instant, blocked_until=instant
        )
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["team_id", "scope"],
                set_={"blocked_until": insert.excluded.blocked_until},
                where=(SlackPace.blocked_until.is_(None)) | (SlackPace.blocked_until < instant),
            )
        )


def active_holds(
    db: Database, *, now: datetime | None = None
) -> dict[tuple[str | None, str], datetime]:
    """Every scope held back by a 429 right now: (team id, scope) -> until when."""
    instant = moment("now", now)
    with db.session() as session:
        rows = session.execute(
            select(SlackPace.team_id, SlackPace.scope, SlackPace.blocked_until).where(
                SlackPace.blocked_until > instant
            )
        ).all()
    return {
        (None if team == NO_TEAM else team, scope): until
        for team, scope, until in rows
        if until is not None
    }
