"""`triagebot db upgrade|current` and `feedback export|import`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from bot.cli.errors import CommandError
from bot.settings import Settings
from storage import repositories
from storage.database import Database
from training.data.feedback_files import FORMATS, read_feedback_file, write_feedback

logger = logging.getLogger(__name__)


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database migrations")
    db_actions = db.add_subparsers(dest="action", metavar="ACTION")
    db_actions.required = True
    upgrade = db_actions.add_parser("upgrade", help="apply migrations (creates every table)")
    upgrade.add_argument("--revision", default="head", help="target revision (default head)")
    upgrade.set_defaults(handler=handle_upgrade)
    current = db_actions.add_parser("current", help="show the revision; exit 1 if behind")
    current.set_defaults(handler=handle_current)

    feedback = sub.add_parser("feedback", help="export or import labelled data")
    fb_actions = feedback.add_subparsers(dest="action", metavar="ACTION")
    fb_actions.required = True
    export = fb_actions.add_parser(
        "export",
        help="write stored feedback (stdout by default); CSV cells a spreadsheet would run as a"
        " formula (=, +, -, @ first) get a leading ' that import takes off again",
    )
    export.add_argument("--format", choices=FORMATS, default="jsonl")
    export.add_argument("--output", "-o", type=Path, help="file to write instead of stdout")
    export.add_argument(
        "--all", action="store_true", help="also rows whose text was not stored (label + ids)"
    )
    export.set_defaults(handler=handle_export)
    imp = fb_actions.add_parser("import", help="import a CSV/JSONL file with text,label columns")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=FORMATS, help="default: from the file name")
    imp.add_argument("--user", default="import", help="who the rows are attributed to")
    imp.set_defaults(handler=handle_import)


def _open(settings: Settings, *, current: bool = True) -> Database:
    db = Database.from_settings(settings.storage)
    if current:
        db.check_current()
    return db


def require_current_schema(settings: Settings) -> None:
    """Refuse to start (raise `SchemaOutdated`, a one-line CLI error) on a database that is behind."""
    db = _open(settings, current=False)
    try:
        db.check_current()
    finally:
        db.dispose()


def handle_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings, current=False)
    try:
        revision = db.upgrade(args.revision)
    finally:
        db.dispose()
    print(f"database {db!r} is at revision {revision}")
    return 0


def handle_current(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings, current=False)
    try:
        print(f"database {db!r} is at revision {db.current_revision() or 'none'}")
        db.check_current()
    finally:
        db.dispose()
    return 0


def handle_export(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings)
    try:
        records = repositories.list_feedback(db, team_id=repositories.ALL_WORKSPACES)
    finally:
        db.dispose()
    if not args.all:
        records = [record for record in records if record.text]
    if args.output is None:
        count = write_feedback(records, sys.stdout, fmt=args.format)
    else:
        try:
            with args.output.open("w", encoding="utf-8", newline="") as stream:
                count = write_feedback(records, stream, fmt=args.format)
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc}") from exc
    logger.info("exported %d feedback rows as %s", count, args.format)
    return 0


def handle_import(args: argparse.Namespace, settings: Settings) -> int:
    if not args.file.is_file():
        raise CommandError(f"{args.file}: no such file")
    rows = read_feedback_file(args.file, fmt=args.format)  # checks every row first
    db = _open(settings)
    try:
        count = repositories.import_feedback(db, rows=rows, user_id=args.user)
    finally:
        db.dispose()
    print(f"imported {count} labelled rows from {args.file}")
    return 0
