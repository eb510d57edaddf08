"""`triagebot draft`, `train generator` and `evaluate drafts`."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.errors import CommandError
from bot.settings import Settings


def register(sub: Any, train_kinds: Any, evaluate_targets: Any) -> None:
    draft = sub.add_parser("draft", help="draft a reply to TEXT")
    draft.add_argument("text", metavar="TEXT")
    draft.add_argument("--json", action="store_true")
    draft.set_defaults(handler=_todo)
    generator = train_kinds.add_parser("generator", help="train a seq2seq reply model")
    generator.add_argument("--pairs", required=True)
    generator.set_defaults(handler=_todo)
    drafts = evaluate_targets.add_parser("drafts", help="score generators with BLEU/ROUGE")
    drafts.add_argument("--pairs", required=True)
    drafts.set_defaults(handler=_todo)


def _todo(args: argparse.Namespace, settings: Settings) -> int:
    raise CommandError(f"{args.command} is not built yet")
