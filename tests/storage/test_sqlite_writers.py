"""Writers of one process take turns on SQLite instead of racing its busy handler."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import repositories as repo
from storage.database import Database
from storage.engine import build_engine
from storage.errors import DatabaseUnavailable


def hold_a_write_then_write_again(db: Database) -> list[BaseException]:
    """Thread A keeps a write transaction open while thread B tries to write; B's error, if any."""
    held, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with db.transaction() as session:
            session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: SQLite's write lock is held
            held.set()
            release.wait(60)

    def second() -> None:
        try:
            repo.register_model_version(db, kind="classifier", version="b", path=".")
        except BaseException as exc:  # what the caller would see
            errors.append(exc)

    a = threading.Thread(target=first)
    a.start()
    assert held.wait(60)
    b = threading.Thread(target=second)
    b.start()
    b.join(0.5)  # long enough for B to reach SQLite's lock when nothing queues it
    release.set()
    a.join(60)
    b.join(60)
    return errors


@pytest.fixture
def strict_engine_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'writers.db'}"


def test_a_second_writer_waits_its_turn_instead_of_failing(strict_engine_url: str) -> None:
    # A 1 ms busy timeout: a writer that reached SQLite's lock would fail at once.
    db = Database(build_engine(strict_engine_url, busy_timeout_ms=1))
    db.upgrade()
    try:
        assert hold_a_write_then_write_again(db) == []
        assert [v.version for v in repo.list_model_versions(db)] == ["b"]
    finally:
        db.dispose()


def test_without_queued_writers_sqlite_refuses_the_second_writer(strict_engine_url: str) -> None:
    db = Database(build_engine(strict_engine_url, busy_timeout_ms=1), queue_writers=False)
    db.upgrade()
    try:
        errors = hold_a_write_then_write_again(db)
        assert len(errors) == 1 and isinstance(errors[0], DatabaseUnavailable)
    finally:
        db.dispose()
