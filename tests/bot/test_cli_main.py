"""The command line as a user meets it: help, one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.cli import build_parser, main

COMMANDS = [
    "serve",
    "classify",
    "draft",
    "train",
    "evaluate",
    "retrain",
    "models",
    "scheduler",
    "simulate-drift",
    "feedback",
    "db",
    "assets",
    "bench",
]


def test_help_lists_every_command_of_the_design(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize(
    "argv",
    [["nonsense"], ["classify", "--bogus"], ["models", "explode"], ["serve", "--port", "abc"]],
)
def test_bad_arguments_give_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("triagebot")
    assert "Traceback" not in err


def test_invalid_setting_names_the_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--env-file", "/nonexistent", "assets"],
        capture_output=True,
        text=True,
        env={"PORT": "not-a-port", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_parser_is_importable_without_side_effects() -> None:
    parser = build_parser()
    assert parser.prog == "triagebot"
