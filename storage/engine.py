"""Engine construction: SQLite (WAL, foreign keys, busy timeout, explicit BEGIN) or PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from storage.errors import InvalidInput
from storage.files import create_private_file, warn_if_shared

logger = logging.getLogger(__name__)

# Execution option read by the SQLite "begin" hook: IMMEDIATE takes the write lock up front, so
# two writers queue on busy_timeout instead of failing when a reader upgrades to a writer.
SQLITE_BEGIN = "sqlite_begin"


def build_engine(url: str, *, echo: bool = False, busy_timeout_ms: int = 15_000) -> Engine:
    """Create the engine for `url` (`sqlite:///...` or `postgresql+psycopg://...`)."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput(f"DATABASE_URL is not a database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo=echo, busy_timeout_ms=busy_timeout_ms)
    if backend == "postgresql":
        connect_args: dict[str, Any] = {"connect_timeout": 5, "options": "-c timezone=UTC"}
        return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)
    raise InvalidInput(f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://")


def _sqlite_engine(url: str, *, echo: bool, busy_timeout_ms: int) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
    connect_args = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
    if in_memory:
        # One shared connection: each new connection would see a new, empty database.
        engine = create_engine(url, echo=echo, connect_args=connect_args, poolclass=StaticPool)
    else:
        _create_private_database(Path(database), uri=parsed.query.get("uri") == "true")
        engine = create_engine(url, echo=echo, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: the "begin" hook below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _create_private_database(path: Path, *, uri: bool) -> None:
    """Create the database file 0600 in a 0700 folder before SQLite does (with 0644)."""
    if uri:  # `file:...` names: SQLite resolves them itself
        return
    if not create_private_file(path):
        warn_if_shared(path)
