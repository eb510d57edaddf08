"""Dashboard access: signed-in sessions, API tokens for scripts, failed sign-in attempts.

Kept in the database, not in a process, so every worker and replica sees the same sessions,
tokens and failures, and a restart neither clears a lockout nor revives a revoked session.
Secrets are never stored: a session id and an API token are kept as their SHA-256 digests.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN, NAME_LEN

logger = logging.getLogger(__name__)

DIGEST_LEN = 64  # hex SHA-256
AUTH_FAILURE_KINDS = ("login", "bearer")
AUTH_KIND_LEN = 16


class DashboardSession(Base):
    """A signed-in dashboard session: valid until `expires_at`, unless revoked (sign-out)."""

    __tablename__ = "dashboard_sessions"

    id_digest: Mapped[str] = mapped_column(String(DIGEST_LEN), primary_key=True)
    subject: Mapped[str] = mapped_column(String(NAME_LEN))  # "password" or "slack:T..:U.."
    team_id: Mapped[str | None] = mapped_column(String(ID_LEN))  # None: every workspace
    generation: Mapped[str] = mapped_column(String(DIGEST_LEN))  # of the password at sign-in
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiToken(Base):
    """A named, revocable bearer token for scripts calling `/api/*`."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    token_digest: Mapped[str] = mapped_column(String(DIGEST_LEN), unique=True)
    team_id: Mapped[str | None] = mapped_column(String(ID_LEN))  # None: every workspace
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuthFailure(Base):
    """One failed sign-in (wrong password) or API call (wrong bearer) from a client address."""

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_client_created_at", "client", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(ID_LEN))
    kind: Mapped[str] = mapped_column(String(AUTH_KIND_LEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
