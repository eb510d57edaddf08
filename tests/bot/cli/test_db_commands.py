"""`triagebot db upgrade|current`, and every command refusing a database that is behind."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.database import Database
from storage.migrations import head_revision
from tests.bot.cli.helpers import TRIAGEBOT, CliRunner, cli_env

HEAD = head_revision()
PREVIOUS = f"{int(HEAD) - 1:04d}"
BEHIND = (
    f"the database schema is at revision {PREVIOUS}, the code needs {HEAD}: "
    "run `triagebot db upgrade`"
)


@pytest.fixture
def behind_url(empty_database_url: str) -> str:
    """A database migrated only to the revision before the code's."""
    database = Database.from_url(empty_database_url)
    database.upgrade(PREVIOUS)
    database.dispose()
    return empty_database_url


@pytest.fixture
def cli_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[str], CliRunner]:
    def make(url: str) -> CliRunner:
        return CliRunner(monkeypatch, capsys, DATABASE_URL=url, DATA_DIR=str(tmp_path))

    return make


def test_upgrade_an_empty_database_then_current(
    empty_database_url: str, cli_on: Callable[[str], CliRunner]
) -> None:
    cli = cli_on(empty_database_url)
    before = cli("db", "current")
    assert before.code == 1
    assert before.error_lines == [
        "triagebot db: the database has no schema yet: run `triagebot db upgrade`"
    ]

    upgraded = cli("db", "upgrade")
    assert upgraded.code == 0 and upgraded.out.strip().endswith(f"is at revision {HEAD}")

    after = cli("db", "current")
    assert after.code == 0 and f"revision {HEAD}" in after.out and after.err == ""


def test_upgrade_from_the_previous_revision(
    behind_url: str, cli_on: Callable[[str], CliRunner]
) -> None:
    cli = cli_on(behind_url)
    assert cli("db", "current").code == 1
    assert cli("db", "upgrade").code == 0
    assert cli("db", "current").code == 0


@pytest.mark.parametrize(
    "argv",
    [("models", "list", "--json"), ("models", "rollback"), ("feedback", "export"), ("retrain",)],
)
def test_commands_refuse_a_database_that_is_behind(
    behind_url: str, cli_on: Callable[[str], CliRunner], argv: tuple[str, ...]
) -> None:
    result = cli_on(behind_url)(*argv)
    assert result.code == 1
    assert result.error_lines == [f"triagebot {argv[0]}: {BEHIND}"]
    assert result.out == ""


def test_serve_refuses_to_start_on_a_database_that_is_behind(
    behind_url: str, tmp_path: Path
) -> None:
    env = cli_env(behind_url, tmp_path, SLACK_SIGNING_SECRET="x" * 32, PORT="0")
    result = subprocess.run(
        [*TRIAGEBOT, "serve"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"triagebot serve: {BEHIND}"]
    assert "listening" not in result.stdout


def test_db_upgrade_creates_a_private_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh `DATA_DIR` is 0700 and its SQLite database 0600, even under umask 022."""
    data_dir = tmp_path / "var"
    cli = CliRunner(monkeypatch, capsys, DATABASE_URL="", DATA_DIR=str(data_dir))
    previous = os.umask(0o022)
    try:
        upgraded = cli("db", "upgrade")
    finally:
        os.umask(previous)

    assert upgraded.code == 0, upgraded.err
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "triagebot.db").stat().st_mode) == 0o600
