"""The WSGI app: Slack's endpoints through Bolt's Flask adapter, plus the dashboard and ops routes."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response
from slack_sdk.signature import SignatureVerifier
from werkzeug.wrappers import Response as BaseResponse

from bot.app import create_app, missing_slack_credentials, oauth_enabled
from bot.services import Services
from bot.settings import Settings

logger = logging.getLogger(__name__)

# Modules of the dashboard layer that add routes when present: `register(flask_app, services)`.
EXTENSIONS = ("bot.dashboard", "bot.ops")
# What Bolt's body parsing raises on a body it cannot read as the object it expects: bad JSON,
# a 5,000-digit number, nesting deeper than the recursion limit, `[1]`, `5`, `null`.
UNREADABLE_BODY = (ValueError, TypeError, LookupError, AttributeError, RecursionError)
# Fields of a parsed body that Bolt indexes as objects (`body["event"].get(...)`); the second
# group may also be null.
OBJECT_FIELDS = ("event", "view", "container", "message")
NULLABLE_OBJECT_FIELDS = ("team", "user", "channel", "enterprise")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # The dashboard's pages: its own stylesheet and inline SVG/data: images, no scripts.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}
# Bolt's own install and OAuth result pages under /slack/: an inline <style> and Slack's
# "Add to Slack" button image; nothing else, and never in a frame either.
SLACK_PAGES_CSP = (
    "default-src 'none'; img-src https://platform.slack-edge.com; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)


def create_web_app(settings: Settings, services: Services) -> Flask:
    """Flask app serving `POST /slack/events`, the OAuth install routes and the dashboard.

    Without Slack credentials the Slack routes answer 503 naming what is missing, and the rest
    (dashboard, health, metrics) works: a fresh `make run` comes up before Slack is connected.
    """
    flask_app = Flask("triagebot")
    flask_app.config["MAX_CONTENT_LENGTH"] = 1 << 20  # Slack payloads are far smaller
    add_security_headers(flask_app)
    add_api_rate_limit(flask_app, settings)
    missing = missing_slack_credentials(settings)
    if missing:
        logger.warning("Slack is not connected: %s (see docs/slack.md)", missing)
        _register_slack_unavailable(flask_app, missing)
    else:
        _register_slack_routes(
            flask_app, settings, SlackRequestHandler(create_app(settings, services))
        )
    for name in EXTENSIONS:
        _register_extension(name, flask_app, services)
    return flask_app


def add_security_headers(flask_app: Flask) -> None:
    """Send `SECURITY_HEADERS` on every response of `flask_app`: pages, API, Slack, ops, errors."""

    @flask_app.after_request
    def secure(response: BaseResponse) -> BaseResponse:
        headers = dict(SECURITY_HEADERS)
        if request.path.startswith("/slack/"):
            headers["Content-Security-Policy"] = SLACK_PAGES_CSP
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response


def add_api_rate_limit(flask_app: Flask, settings: Settings) -> Limiter:
    """Flask-Limiter's per-client limit `API_RATE_LIMIT` on `/api/*`, every route together.

    Counted in `RATE_LIMIT_STORAGE_URL`: `memory://` is per process (each gunicorn worker its
    own budget), a `redis://` URL is shared by every worker and replica. Should Redis be
    unreachable, the count falls back to memory rather than refusing the API. Wrong passwords
    and bearer tokens are counted apart, in the database (`bot.dashboard.auth`).
    """
    server = settings.server
    return Limiter(
        get_remote_address,
        app=flask_app,
        application_limits=[server.api_rate_limit],
        application_limits_exempt_when=lambda: not request.path.startswith("/api/"),
        storage_uri=server.rate_limit_storage_url,
        headers_enabled=True,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        key_prefix="triagebot",
    )


def _register_slack_unavailable(flask_app: Flask, missing: str) -> None:
    @flask_app.route("/slack/<path:_rest>", methods=["GET", "POST"])
    def slack_not_connected(_rest: str) -> tuple[str, int]:
        return f"Slack is not connected: {missing} (see docs/slack.md).\n", 503


def _register_slack_routes(
    flask_app: Flask, settings: Settings, handler: SlackRequestHandler
) -> None:

    secret = settings.slack.signing_secret
    verifier = SignatureVerifier(secret.get_secret_value() if secret else "")

    @flask_app.post("/slack/events")
    def slack_events() -> Response | tuple[str, int]:
        return _dispatch_slack_request(handler, verifier)

    @flask_app.get("/slack/install")
    def slack_install() -> Response | tuple[str, int]:
        if not oauth_enabled(settings):
            return "OAuth install is off: this server uses a single-workspace bot token.\n", 404
        return handler.handle(request)

    @flask_app.get("/slack/oauth_redirect")
    def slack_oauth_redirect() -> Response | tuple[str, int]:
        if not oauth_enabled(settings):
            return "OAuth install is off.\n", 404
        return handler.handle(request)


def _dispatch_slack_request(
    handler: SlackRequestHandler, verifier: SignatureVerifier
) -> Response | tuple[str, int]:
    """Check the signature, then parse the body, then let Bolt dispatch it.

    Bolt parses the body before it checks the signature, and raises on a body that is not a JSON
    object: from anyone, a 500 with a traceback in the log. Here an unsigned request gets 401 and
    a signed body Bolt cannot read gets 400, each with one log line and no other work done.
    """
    body = request.get_data(as_text=True)
    if not _signed(verifier, body):
        logger.warning("refused a Slack request without a valid signature (%d bytes)", len(body))
        return "invalid request\n", 401
    try:
        bolt_request = to_bolt_request(request)
    except UNREADABLE_BODY as exc:
        logger.warning("malformed Slack request body (%d bytes): %s", len(body), type(exc).__name__)
        return "malformed request\n", 400
    wrong = _misshapen_field(bolt_request.body)
    if wrong:
        logger.warning("malformed Slack request body (%d bytes): bad %r", len(body), wrong)
        return "malformed request\n", 400
    return to_flask_response(handler.app.dispatch(bolt_request))


def _misshapen_field(body: dict[str, Any]) -> str | None:
    """The first field Bolt's middleware would index without a check, when it has the wrong type.

    Found by `tests/property/test_slack_bodies.py`: `"event": null` or `"actions": null` in a
    signed body raised inside Bolt's own error handler, a 500 with a traceback.
    """
    for name in OBJECT_FIELDS:
        if name in body and not isinstance(body[name], dict):
            return name
    for name in NULLABLE_OBJECT_FIELDS:  # `team` is null in org-wide installs
        if body.get(name) is not None and not isinstance(body[name], dict):
            return name
    actions = body.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return "actions"
    return None


def _signed(verifier: SignatureVerifier, body: str) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature")
    try:
        return verifier.is_valid(body, timestamp, signature)
    except ValueError:  # a timestamp that is not an integer
        return False


def _register_extension(name: str, flask_app: Flask, services: Services) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        if exc.name == name:  # the module itself is absent: fine, nothing to add
            logger.info("%s not installed; its routes are off", name)
            return
        raise
    module.register(flask_app, services)
