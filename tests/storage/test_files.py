"""Private data files: a fresh `DATA_DIR` is 0700 and the SQLite database, -wal and -shm 0600.

The database holds bot tokens (OAuth mode), feedback text and notes: nobody else on the host may
read it, whatever the umask of the process that created it.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import Database
from storage.settings import StorageSettings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=["umask-022", "umask-002", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_a_fresh_data_dir_keeps_the_database_private(umask: int, tmp_path: Path) -> None:
    data_dir = tmp_path / "deploy" / "var"
    db = Database.from_settings(StorageSettings(DATA_DIR=data_dir))
    try:
        db.upgrade()
        with db.transaction() as session:  # a write, so -wal and -shm exist while connected
            session.execute(text("CREATE TABLE scratch (x INTEGER)"))
        files = {name: data_dir / f"triagebot.db{name}" for name in ("", "-wal", "-shm")}
        assert all(path.exists() for path in files.values()), sorted(os.listdir(data_dir))

        assert mode(data_dir) == 0o700
        assert {name: oct(mode(path)) for name, path in files.items()} == {
            name: "0o600" for name in files
        }
    finally:
        db.dispose()


def test_an_existing_folder_is_left_as_it_is(umask: int, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    db = Database.from_url(f"sqlite:///{shared / 'bot.db'}")
    try:
        db.ping()
        assert mode(shared) == 0o755  # may be a home directory: not ours to change
        assert mode(shared / "bot.db") == 0o600
    finally:
        db.dispose()


def test_an_existing_database_readable_by_others_is_named_in_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.db"
    path.touch()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="storage"):
        Database.from_url(f"sqlite:///{path}").dispose()
    (record,) = [r for r in caplog.records if r.name.startswith("storage")]
    assert "mode 0644" in record.getMessage() and f"chmod 600 {path}" in record.getMessage()
    assert mode(path) == 0o644  # warned about, not changed behind the operator's back
