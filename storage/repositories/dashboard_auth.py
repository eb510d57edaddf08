"""Dashboard access: revocable sessions, API tokens and failed attempts, shared by every process.

The callers hash secrets before they get here: a session id and an API token arrive as their
SHA-256 hex digests, so a copy of the database holds nothing that signs anyone in.

Example:
    >>> record_auth_failure(db, client="192.0.2.7", kind="bearer", keep=timedelta(hours=1))
    >>> lockout_until(db, client="192.0.2.7", limit=10, window=timedelta(minutes=10)) is None
    True
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from storage import validation as check
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import ApiToken, AuthFailure, DashboardSession
from storage.orm.dashboard_auth import AUTH_FAILURE_KINDS, DIGEST_LEN
from storage.repositories._common import moment
from storage.workspaces import ALL_WORKSPACES, AllWorkspaces, Workspace, checked_scope

logger = logging.getLogger(__name__)

_DIGEST = re.compile(r"[0-9a-f]{64}")
_TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write a minute per busy token


@dataclass(frozen=True)
class DashboardSessionRecord:
    """A signed-in dashboard session; `live` only before `expires_at` and while not revoked."""

    id_digest: str
    subject: str
    generation: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    team_id: str | None = None  # the one workspace it may see; None: every workspace

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    @property
    def scope(self) -> Workspace:
        return ALL_WORKSPACES if self.team_id is None else self.team_id


@dataclass(frozen=True)
class ApiTokenRecord:
    """A named API token (its digest only); `last_used_at` is kept to the minute."""

    name: str
    created_at: datetime
    last_used_at: datetime | None
    team_id: str | None = None  # the one workspace it may see; None: every workspace

    @property
    def scope(self) -> Workspace:
        return ALL_WORKSPACES if self.team_id is None else self.team_id


def _digest(name: str, value: str) -> str:
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        raise InvalidInput(f"{name} must be {DIGEST_LEN} lowercase hex characters")
    return value


def _token_name(name: str) -> str:
    check.text_field("name", name, max_len=check.NAME_LEN)
    if not _TOKEN_NAME.fullmatch(name):
        raise InvalidInput(f"name must be letters, digits, '.', '_' or '-', got {name!r}")
    return name


def _positive(name: str, value: timedelta) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InvalidInput(f"{name} must be a positive timedelta, got {value!r}")
    return value


def _session(row: DashboardSession) -> DashboardSessionRecord:
    return DashboardSessionRecord(
        id_digest=row.id_digest,
        subject=row.subject,
        generation=row.generation,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        team_id=row.team_id,
    )


def _token(row: ApiToken) -> ApiTokenRecord:
    return ApiTokenRecord(
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        team_id=row.team_id,
    )


def _scope_column(team_id: Workspace) -> str | None:
    """What a session or token row stores for its scope (None: every workspace)."""
    scope = checked_scope(team_id)
    return None if isinstance(scope, AllWorkspaces) else scope


def start_dashboard_session(
    db: Database,
    *,
    id_digest: str,
    subject: str,
    team_id: Workspace,
    generation: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> DashboardSessionRecord:
    """Store a new session that may see `team_id` (a workspace, or `ALL_WORKSPACES` for an
    instance operator) and ends `lifetime` after `now`; drop sessions that ended already."""
    instant = moment("now", now)
    row = DashboardSession(
        id_digest=_digest("id_digest", id_digest),
        subject=check.text_field("subject", subject, max_len=check.NAME_LEN),
        team_id=_scope_column(team_id),
        generation=_digest("generation", generation),
        created_at=instant,
        expires_at=instant + _positive("lifetime", lifetime),
    )
    with db.transaction() as session:
        session.execute(delete(DashboardSession).where(DashboardSession.expires_at <= instant))
        session.add(row)
        session.flush()
        return _session(row)


def get_dashboard_session(db: Database, *, id_digest: str) -> DashboardSessionRecord | None:
    """The session stored under `id_digest` (live, ended or revoked), or None."""
    with db.session() as session:
        row = session.get(DashboardSession, _digest("id_digest", id_digest))
        return None if row is None else _session(row)


def revoke_dashboard_session(db: Database, *, id_digest: str, now: datetime | None = None) -> bool:
    """Mark the session revoked (sign-out); return whether a live one was revoked."""
    instant = moment("now", now)
    with db.transaction() as session:
        result = session.execute(
            update(DashboardSession)
            .where(
                DashboardSession.id_digest == _digest("id_digest", id_digest),
                DashboardSession.revoked_at.is_(None),
            )
            .values(revoked_at=instant)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def record_auth_failure(
    db: Database, *, client: str, kind: str, keep: timedelta, now: datetime | None = None
) -> None:
    """Count one failed attempt from `client`; forget failures older than `keep` (any client)."""
    instant = moment("now", now)
    row = AuthFailure(
        client=check.text_field("client", client, max_len=check.ID_LEN),
        kind=check.choice("kind", kind, AUTH_FAILURE_KINDS),
        created_at=instant,
    )
    with db.transaction() as session:
        cutoff = instant - _positive("keep", keep)
        session.execute(delete(AuthFailure).where(AuthFailure.created_at < cutoff))
        session.add(row)


def lockout_until(
    db: Database, *, client: str, limit: int, window: timedelta, now: datetime | None = None
) -> datetime | None:
    """When `client` may try again, or None if it has fewer than `limit` failures in `window`.

    The lockout ends when the `limit`-th most recent failure falls out of the window.
    """
    instant = moment("now", now)
    if not isinstance(limit, int) or limit < 1:
        raise InvalidInput(f"limit must be a positive integer, got {limit!r}")
    since = instant - _positive("window", window)
    query = (
        select(AuthFailure.created_at)
        .where(AuthFailure.client == client, AuthFailure.created_at > since)
        .order_by(AuthFailure.created_at.desc())
        .limit(limit)
    )
    with db.session() as session:
        recent = list(session.scalars(query))
    if len(recent) < limit:
        return None
    return recent[-1] + window


def count_auth_failures(db: Database, *, client: str | None = None) -> int:
    """Stored failed attempts (of one client); for tests and operators."""
    query = select(func.count()).select_from(AuthFailure)
    if client is not None:
        query = query.where(AuthFailure.client == client)
    with db.session() as session:
        return int(session.scalar(query) or 0)


def create_api_token(
    db: Database,
    *,
    name: str,
    token_digest: str,
    team_id: Workspace,
    now: datetime | None = None,
) -> ApiTokenRecord:
    """Store a new named token (by its digest) that may see `team_id` (a workspace, or
    `ALL_WORKSPACES`); raise `InvalidInput` if the name is taken."""
    row = ApiToken(
        name=_token_name(name),
        token_digest=_digest("token_digest", token_digest),
        team_id=_scope_column(team_id),
        created_at=moment("now", now),
    )
    with db.transaction() as session:
        if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
            raise InvalidInput(f"an API token named {name!r} exists already: revoke it first")
        session.add(row)
        session.flush()
        return _token(row)


def list_api_tokens(db: Database) -> list[ApiTokenRecord]:
    """Every API token, by name."""
    with db.session() as session:
        return [_token(row) for row in session.scalars(select(ApiToken).order_by(ApiToken.name))]


def revoke_api_token(db: Database, *, name: str) -> bool:
    """Delete the token named `name`; return whether one existed."""
    with db.transaction() as session:
        result = session.execute(delete(ApiToken).where(ApiToken.name == _token_name(name)))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def use_api_token(
    db: Database, *, token_digest: str, now: datetime | None = None
) -> ApiTokenRecord | None:
    """The token whose digest is `token_digest`, or None if there is none.

    Its `last_used_at` is written at most once a minute, so a busy script does not take the
    database's write lock on every call.
    """
    instant = moment("now", now)
    digest = _digest("token_digest", token_digest)
    with db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_digest == digest))
        if row is None:
            return None
        found = _token(row)
    if found.last_used_at is not None and instant - found.last_used_at < LAST_USED_RESOLUTION:
        return found
    with db.transaction() as session:
        session.execute(
            update(ApiToken).where(ApiToken.token_digest == digest).values(last_used_at=instant)
        )
    return replace(found, last_used_at=instant)
