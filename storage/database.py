"""The `Database`: one engine, sessions and transactions with errors translated to the domain.

Example:
    >>> db = Database.from_url("sqlite://")
    >>> db.upgrade()
    >>> with db.transaction() as session:
    ...     _ = session.execute(text("select 1"))
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import NoReturn

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from storage import migrations
from storage.engine import SQLITE_BEGIN, build_engine
from storage.errors import DatabaseUnavailable, InvalidInput, SchemaOutdated
from storage.settings import StorageSettings

logger = logging.getLogger(__name__)

UPGRADE_HINT = "run `triagebot db upgrade`"


class Database:
    """An engine plus session factories; safe to share between threads.

    Args:
        engine: a SQLAlchemy engine, usually from `from_url` / `from_settings`.
        retention_days: how long stored message text is kept (`TEXT_RETENTION_DAYS`).
        queue_writers: on SQLite, let this process's writers take turns on a lock instead of
            all asking SQLite at once. SQLite has one writer at a time; a writer that finds the
            file locked sleeps in its busy handler (up to 100 ms a try), so many threads writing
            at once spend most of their time asleep (`benchmarks/bench_sqlite_writes.py`).
            Other processes still wait on `busy_timeout`. Ignored on PostgreSQL.
    """

    def __init__(
        self, engine: Engine, *, retention_days: int = 90, queue_writers: bool = True
    ) -> None:
        self.engine = engine
        self.retention_days = retention_days
        sqlite = engine.dialect.name == "sqlite"
        self._write_turn: AbstractContextManager[object] = (
            threading.RLock() if sqlite and queue_writers else nullcontext()
        )
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self.writer_engine = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        self._writer = sessionmaker(bind=self.writer_engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False, retention_days: int = 90) -> Database:
        """Open `url` (`sqlite:///path`, `sqlite://` in memory, `postgresql+psycopg://...`)."""
        return cls(build_engine(url, echo=echo), retention_days=retention_days)

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> Database:
        """Open the database the settings name (default: SQLite under `DATA_DIR`)."""
        engine = build_engine(
            settings.url, echo=settings.database_echo, busy_timeout_ms=settings.busy_timeout_ms
        )
        return cls(engine, retention_days=settings.retention_days)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (rolled back at the end); errors become `StorageError`s."""
        with _translated(), self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back entirely on any error."""
        with self._write_turn, _translated(), self._writer() as session, session.begin():
            yield session

    def ping(self) -> bool:
        """Return True if the database answers; raise `DatabaseUnavailable` otherwise."""
        with self.session() as session:
            session.execute(text("SELECT 1"))
        return True

    def current_revision(self) -> str | None:
        """The schema revision of the database (None when never migrated)."""
        with _translated():
            return migrations.current_revision(self.engine)

    def check_current(self) -> None:
        """Raise `SchemaOutdated` unless the database is at the code's newest revision."""
        head = migrations.head_revision()
        current = self.current_revision()
        if current == head:
            return
        if current is None:
            raise SchemaOutdated(f"the database has no schema yet: {UPGRADE_HINT}")
        raise SchemaOutdated(
            f"the database schema is at revision {current}, the code needs {head}: {UPGRADE_HINT}"
        )

    def upgrade(self, revision: str = "head") -> str | None:
        """Apply migrations up to `revision`; return the revision the database is now at."""
        with _translated():
            migrations.upgrade(self.engine, revision)
        return self.current_revision()

    def downgrade(self, revision: str) -> str | None:
        """Revert migrations to `revision` ("-1": one step); return the new revision."""
        with _translated():
            migrations.downgrade(self.engine, revision)
        return self.current_revision()

    def dispose(self) -> None:
        """Close every pooled connection (tests, shutdown)."""
        self.engine.dispose()


@contextmanager
def _translated() -> Iterator[None]:
    """Turn driver errors into the storage layer's own exceptions."""
    try:
        yield
    except IntegrityError as exc:
        raise InvalidInput(f"conflicts with stored data: {_first_line(exc)}") from exc
    except (OperationalError, ProgrammingError) as exc:
        _raise_schema_or_unavailable(exc)
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise DatabaseUnavailable(f"database connection lost: {_first_line(exc)}") from exc
        raise


def _raise_schema_or_unavailable(exc: DBAPIError) -> NoReturn:
    message = _first_line(exc)
    lowered = message.lower()
    if "no such table" in lowered or ("does not exist" in lowered and "relation" in lowered):
        raise SchemaOutdated(f"missing table ({message}): {UPGRADE_HINT}") from exc
    if isinstance(exc, ProgrammingError):
        raise exc
    raise DatabaseUnavailable(f"database unavailable: {message}") from exc


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
