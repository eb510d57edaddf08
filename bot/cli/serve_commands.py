"""`triagebot serve`: the HTTP server (Slack endpoint, dashboard) or Socket Mode."""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the Slack app (HTTP by default, or Socket Mode)")
    parser.add_argument(
        "--socket-mode", action="store_true", help="connect with the app-level token"
    )
    parser.add_argument("--host", help="listen address (default HOST)")
    parser.add_argument("--port", type=int, help="listen port (default PORT)")
    parser.set_defaults(handler=handle_serve)


def handle_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot import server
    from bot.cli.db_commands import require_current_schema

    if args.socket_mode:  # a missing token is the first thing to fix, whatever the database
        server.require_app_token(settings)
    require_current_schema(settings)  # before any worker starts: one clear line, exit 1
    if args.socket_mode:
        return server.run_socket_mode(settings)
    host = args.host or settings.server.host
    port = settings.server.port if args.port is None else args.port
    return server.run_http(settings, host=host, port=port)
