"""Running `triagebot` in tests: in this process (`CliRunner`) or as a child process (`cli_env`)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main

TRIAGEBOT = [sys.executable, "-m", "bot.cli", "--env-file", "/nonexistent"]


@dataclass(frozen=True)
class CliResult:
    """Exit code and captured output of one command."""

    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


class CliRunner:
    """Runs `triagebot ARGS...` in this process against one database and data directory."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str
    ) -> None:
        self._capsys = capsys
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    def __call__(self, *argv: str) -> CliResult:
        self._capsys.readouterr()  # drop whatever was printed before
        try:
            code = main(["--env-file", "/nonexistent", *argv])
        except SystemExit as exc:  # argparse errors
            code = int(exc.code or 0)
        captured = self._capsys.readouterr()
        return CliResult(code, captured.out, captured.err)


def cli_env(database_url: str, data_dir: Path, **values: str) -> dict[str, str]:
    """Environment for a `triagebot` child process on `database_url` with its own `DATA_DIR`."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
        **values,
    )
    return env
