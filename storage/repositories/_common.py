"""Helpers shared by the repositories: dialect-aware INSERT ... ON CONFLICT, time arguments."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause

from storage.columns import as_utc, utcnow
from storage.errors import InvalidInput

logger = logging.getLogger(__name__)


def upsert_insert(session: Session, table: FromClause) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for `table` with `.on_conflict_do_nothing/_do_update` on this session's engine."""
    if not isinstance(table, Table):  # a mapped class's `__table__` is typed as any FromClause
        raise TypeError(f"expected a Table, got {type(table).__name__}")
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise InvalidInput(f"unsupported database {name!r}")  # pragma: no cover


def moment(name: str, value: datetime | None) -> datetime:
    """A point in time as aware UTC; None means now."""
    if value is None:
        return utcnow()
    if not isinstance(value, datetime):
        raise InvalidInput(f"{name} must be a datetime, got {type(value).__name__}")
    return as_utc(value)


def cutoff(name: str, value: datetime | timedelta) -> datetime:
    """A cut-off instant: a datetime as is, a timedelta counted back from now."""
    if isinstance(value, timedelta):
        return utcnow() - value
    return moment(name, value)
