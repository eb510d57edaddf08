"""Dashboard access: password login, session cookie, CSRF tokens, loopback-only mode.

With `DASHBOARD_PASSWORD` set, or Sign in with Slack available (OAuth credentials set; see
`bot.dashboard.slack_login`), every page and API call needs a signed-in session (or, for
scripts, `Authorization: Bearer <password>`). With neither, the dashboard and its API are closed
(503 naming what to set) unless `DASHBOARD_OPEN_ON_LOOPBACK=true` opts in to serving them without
login to clients on the loopback interface that address it as localhost; it then says so on every
page. "No proxy headers" is no proof of a local client (a plain TCP forwarder on the host adds
none), so that mode is never the default.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface

from bot.settings import Settings
from storage.files import make_private_dir

logger = logging.getLogger(__name__)

Access = Literal["ok", "login", "loopback_only", "closed"]

SECRET_FILE = "session_secret"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")
MAX_FAILURES = 10
FAILURE_WINDOW_S = 600.0
CLOSED_MESSAGE = (
    "The dashboard is closed: set DASHBOARD_PASSWORD (or Slack OAuth credentials) to sign in, "
    "or DASHBOARD_OPEN_ON_LOOPBACK=true to serve it without login to this machine only."
)


class _SessionInterface(SecureCookieSessionInterface):
    """Signed cookie session whose Secure flag follows the request's scheme."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request) and request.is_secure


def configure_sessions(flask_app: Flask, settings: Settings) -> None:
    """Give `flask_app` a secret key and a session cookie with HttpOnly and SameSite=Lax."""
    flask_app.secret_key = session_secret(settings)
    flask_app.session_interface = _SessionInterface()
    flask_app.config.update(
        SESSION_COOKIE_NAME="triagebot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )


def session_secret(settings: Settings) -> str:
    """`SESSION_SECRET`, or a random secret generated once and kept in `DATA_DIR`.

    Several worker processes may start at once: the file is written under a temporary name
    and linked into place, so every process reads the same complete secret.
    """
    configured = settings.server.session_secret
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    path = Path(settings.models.data_dir) / SECRET_FILE
    if not path.exists():
        make_private_dir(path.parent)  # 0700 when created here, like the database's
        temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
            logger.info("generated a session secret in %s", path)
        except FileExistsError:
            pass  # another process won the race; use its secret
        finally:
            temporary.unlink()
    return path.read_text().strip()


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


def password_matches(given: str, settings: Settings) -> bool:
    """Constant-time comparison of `given` with `DASHBOARD_PASSWORD` (False when unset)."""
    configured = settings.server.dashboard_password
    if configured is None or not configured.get_secret_value():
        return False
    return hmac.compare_digest(_digest(given), _digest(configured.get_secret_value()))


def password_configured(settings: Settings) -> bool:
    secret = settings.server.dashboard_password
    return secret is not None and bool(secret.get_secret_value())


def is_loopback_request() -> bool:
    """The client is on loopback, names a loopback host (no DNS rebinding through a name) and
    did not come through a proxy (a reverse proxy on this host would make everyone local)."""
    if any(request.headers.get(name) for name in PROXY_HEADERS):
        return False
    try:
        loopback_client = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    host = host.strip("[]").lower()
    return loopback_client and host in LOOPBACK_HOSTS


def bearer_ok(settings: Settings) -> bool:
    """The request carries `Authorization: Bearer <DASHBOARD_PASSWORD>` (scripts)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and bool(token) and password_matches(token.strip(), settings)


def login_configured(settings: Settings) -> bool:
    """A way to sign in exists: the dashboard password, or Sign in with Slack (OAuth set up)."""
    from bot.app import oauth_enabled

    return password_configured(settings) or oauth_enabled(settings)


def access(settings: Settings) -> Access:
    """Whether this request may see the dashboard, must sign in, or is refused outright."""
    if not login_configured(settings):
        if not settings.server.dashboard_open_on_loopback:
            return "closed"
        return "ok" if is_loopback_request() else "loopback_only"
    if session.get("signed_in") is True:
        return "ok"
    return "login"


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_valid(given: str | None) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def sign_in() -> None:
    """Start a fresh signed-in session (a new CSRF token: no session fixation)."""
    session.clear()
    session.permanent = True
    session["signed_in"] = True
    csrf_token()


def sign_out() -> None:
    session.clear()


class LoginThrottle:
    """Refuses further attempts from an address after too many wrong passwords in a window."""

    def __init__(self, limit: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S) -> None:
        self._limit = limit
        self._window_s = window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._clock: Callable[[], float] = time.monotonic

    def blocked(self, address: str) -> bool:
        with self._lock:
            recent = self._recent(address)
            return len(recent) >= self._limit

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self._clock())

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def _recent(self, address: str) -> list[float]:
        cutoff = self._clock() - self._window_s
        recent = [t for t in self._failures.get(address, []) if t >= cutoff]
        self._failures[address] = recent
        return recent


def throttle() -> LoginThrottle:
    found = current_app.extensions.setdefault("triagebot.login_throttle", LoginThrottle())
    assert isinstance(found, LoginThrottle)
    return found
