"""The `triagebot` command line: parses arguments, loads settings, runs one command.

Each command group lives in its own module with a `register(subparsers)` function that adds
its parsers and sets `handler(args, settings) -> int` as the default `handler`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot.cli import (
    api_token_commands,
    assets_commands,
    bench_commands,
    classifier_commands,
    db_commands,
    generator_commands,
    model_commands,
    serve_commands,
    worker_commands,
)
from bot.cli.errors import known_errors
from bot.settings import SettingsError, load_settings

logger = logging.getLogger(__name__)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit 2, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="triagebot",
        description="Sentiment triage and suggested replies for Slack support channels.",
    )
    parser.add_argument("--env-file", default=".env", help="dotenv file to read (default .env)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    # `train` and `evaluate` are shared: the classifier is the default, `generator`/`drafts` the other.
    train = sub.add_parser("train", help="train a model (classifier by default, or generator)")
    train_kinds = train.add_subparsers(dest="kind", metavar="KIND", parser_class=OneLineParser)
    evaluate = sub.add_parser("evaluate", help="evaluate the classifier, or `evaluate drafts`")
    evaluate_targets = evaluate.add_subparsers(
        dest="target", metavar="TARGET", parser_class=OneLineParser
    )
    serve_commands.register(sub)
    classifier_commands.register(sub, train, train_kinds, evaluate)
    generator_commands.register(sub, train_kinds, evaluate_targets)
    model_commands.register(sub)
    db_commands.register(sub)
    assets_commands.register(sub)
    bench_commands.register(sub)
    worker_commands.register(sub)
    api_token_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `triagebot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = load_settings(args.env_file)
    except SettingsError as exc:
        print(f"triagebot: {exc}", file=sys.stderr)
        return 2
    try:
        code: int = args.handler(args, settings)
    except known_errors() as exc:
        print(f"triagebot {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
