"""Running the app: gunicorn (gthread) for HTTP, or Socket Mode over a WebSocket.

gunicorn runs programmatically through a `BaseApplication` subclass. Models load in `load()`,
which every worker calls after the fork: once per worker, never shared across a fork.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from bot.app import missing_slack_credentials
from bot.cli.errors import CommandError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)


class TriagebotServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with the gthread worker, configured from `ServerSettings`."""

    def __init__(self, settings: Settings, *, host: str, port: int) -> None:
        self.settings = settings
        server = settings.server
        self.options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": server.workers,
            "threads": server.threads,
            "worker_class": "gthread",
            "timeout": 120,  # a worker loads its models before it answers
            "graceful_timeout": 10,
            "keepalive": 5,
            "loglevel": server.log_level.lower(),
            "accesslog": None,
            "when_ready": _announce,
            "proc_name": "triagebot",
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from bot.web import create_web_app

        return create_web_app(self.settings, serving_services(self.settings))


def serving_services(settings: Settings) -> Services:
    """Services of one serving process (a gunicorn worker or Socket Mode), its scheduler started."""
    from bot.composition import build_services
    from bot.serving.scheduler import start_serving_scheduler

    services = build_services(settings)
    start_serving_scheduler(settings, services)
    return services


def _announce(server: Any) -> None:
    for listener in server.LISTENERS:
        print(f"triagebot listening on {listener}", flush=True)


def run_http(settings: Settings, *, host: str, port: int) -> int:
    """Serve Slack, the dashboard and ops endpoints until interrupted."""
    missing = missing_slack_credentials(settings)
    if missing:
        print(
            f"triagebot: Slack is not connected yet: {missing} (see docs/slack.md);"
            " serving the dashboard and health endpoints only",
            file=sys.stderr,
            flush=True,
        )
    TriagebotServer(settings, host=host, port=port).run()
    return 0


def require_app_token(settings: Settings) -> str:
    """The app-level token Socket Mode needs; says it is missing before anything else starts."""
    if not settings.slack.app_token:
        raise CommandError("SLACK_APP_TOKEN (xapp-...) is required for --socket-mode")
    return settings.slack.app_token.get_secret_value()


def run_socket_mode(settings: Settings) -> int:
    """Connect to Slack over Socket Mode with the app-level token (no public URL needed)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    app_token = require_app_token(settings)
    app = create_app(settings, serving_services(settings), socket_mode=True)
    handler = SocketModeHandler(app, app_token)
    print("triagebot connected in Socket Mode (Ctrl-C to stop)", file=sys.stderr, flush=True)
    handler.start()
    return 0
