"""`cli(*args)`: run `triagebot` in this process against the test's database (both engines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.cli.helpers import CliRunner


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> CliRunner:
    """`triagebot` on the migrated `database_url`, with `DATA_DIR` in the test's tmp dir."""
    return CliRunner(monkeypatch, capsys, DATABASE_URL=database_url, DATA_DIR=str(tmp_path))
