"""`triagebot api-token create|list|revoke`: named, revocable bearer tokens for `/api/*`.

The token is printed once, by `create`; the database keeps only its SHA-256 digest, so a lost
token is revoked and replaced, never shown again. Each token sees one workspace (`--team`) or,
for the instance's operators, every workspace (`--all-workspaces`); one of the two is required,
so a token never sees more than its maker meant.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.cli.errors import CommandError
from bot.dashboard.auth import new_api_token
from bot.settings import Settings
from storage import repositories as repo
from storage.database import Database

logger = logging.getLogger(__name__)


def register(sub: Any) -> None:
    tokens = sub.add_parser("api-token", help="create, list or revoke API tokens for scripts")
    actions = tokens.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="make a token named NAME and print it once")
    create.add_argument("name", help="letters, digits, '.', '_' or '-' (e.g. ci-nightly)")
    scope = create.add_mutually_exclusive_group(required=True)
    scope.add_argument("--team", metavar="TEAM_ID", help="the one workspace the token may see")
    scope.add_argument(
        "--all-workspaces", action="store_true", help="every workspace (instance operators)"
    )
    create.set_defaults(handler=handle_create)
    listing = actions.add_parser("list", help="token names, when made and last used")
    listing.set_defaults(handler=handle_list)
    revoke = actions.add_parser("revoke", help="delete the token named NAME (at once, everywhere)")
    revoke.add_argument("name")
    revoke.set_defaults(handler=handle_revoke)


def _open(settings: Settings) -> Database:
    db = Database.from_settings(settings.storage)
    db.check_current()
    return db


def handle_create(args: argparse.Namespace, settings: Settings) -> int:
    token, digest = new_api_token()
    db = _open(settings)
    try:
        team_id = repo.ALL_WORKSPACES if args.all_workspaces else args.team
        repo.create_api_token(db, name=args.name, token_digest=digest, team_id=team_id)
    finally:
        db.dispose()
    logger.info("created API token %r", args.name)
    print(token)
    print(
        f"API token {args.name!r} created; it is shown only this once. Use it as"
        " `Authorization: Bearer <token>`.",
        file=sys.stderr,
    )
    return 0


def handle_list(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings)
    try:
        tokens = repo.list_api_tokens(db)
    finally:
        db.dispose()
    for token in tokens:
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        created = token.created_at.isoformat(timespec="minutes")
        sees = token.team_id or "every workspace"
        print(f"{token.name}\t{sees}\tcreated {created}\tlast used {used}")
    return 0


def handle_revoke(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings)
    try:
        revoked = repo.revoke_api_token(db, name=args.name)
    finally:
        db.dispose()
    if not revoked:
        raise CommandError(f"no API token named {args.name!r}")
    logger.info("revoked API token %r", args.name)
    print(f"revoked API token {args.name!r}")
    return 0
