"""Dashboard access: password login, revocable sessions, API tokens, lockouts, loopback-only mode.

With `DASHBOARD_PASSWORD` set, or Sign in with Slack available (OAuth credentials set; see
`bot.dashboard.slack_login`), every page and API call needs a signed-in session (or, for
scripts, `Authorization: Bearer <API token or password>`). With neither, the dashboard and its API
are closed (503 naming what to set) unless `DASHBOARD_OPEN_ON_LOOPBACK=true` opts in to serving
them without login to clients on the loopback interface that address it as localhost; it then says
so on every page. "No proxy headers" is no proof of a local client (a plain TCP forwarder on the
host adds none), so that mode is never the default.

Everything that must hold across workers, replicas and restarts lives in the database
(`storage.repositories.dashboard_auth`): sessions (the cookie carries only a random id, the
database says whether it is live), API tokens (SHA-256 digests) and failed attempts. A session
ends `DASHBOARD_SESSION_HOURS` after sign-in however busy it is, at sign-out, and when the
password changes (each session records the password's generation). After
`DASHBOARD_MAX_FAILURES` wrong passwords or bearer tokens from one client address within
`DASHBOARD_FAILURE_WINDOW_SECONDS`, that address gets 429 for every further attempt, the right
password included (a lockout that let the right guess through would not stop guessing); other
addresses, and sessions already signed in, are not affected. CSRF tokens are Flask-WTF's.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Literal, cast

from flask import Flask, current_app, g, request, session
from flask.sansio.app import App
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from bot.settings import Settings
from storage import repositories as repo
from storage.columns import utcnow
from storage.database import Database
from storage.files import make_private_dir
from storage.workspaces import ALL_WORKSPACES, Workspace

logger = logging.getLogger(__name__)

Access = Literal["ok", "login", "loopback_only", "closed"]
FailureKind = Literal["login", "bearer"]

SECRET_FILE = "session_secret"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")
MAX_FAILURES = 10  # defaults of DASHBOARD_MAX_FAILURES / DASHBOARD_FAILURE_WINDOW_SECONDS
FAILURE_WINDOW_S = 600
SESSION_ID_KEY = "sid"
DB_KEY = "triagebot.dashboard_db"
SETTINGS_KEY = "triagebot.dashboard_settings"
API_TOKEN_PREFIX = "tbt_"
CLOSED_MESSAGE = (
    "The dashboard is closed: set DASHBOARD_PASSWORD (or Slack OAuth credentials) to sign in, "
    "or DASHBOARD_OPEN_ON_LOOPBACK=true to serve it without login to this machine only."
)


class _SessionInterface(SecureCookieSessionInterface):
    """Signed cookie session whose Secure flag follows the request's scheme."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request) and request.is_secure


def configure_sessions(flask_app: Flask, settings: Settings) -> None:
    """Secret key, cookie flags (HttpOnly, SameSite=Lax, never renewed by use) and CSRFProtect.

    CSRF is checked where a route needs it (`csrf_ok`), not before every request: `/slack/events`
    is signed by Slack, and a bearer-authenticated API call carries no browser credentials.
    """
    flask_app.secret_key = session_secret(settings)
    flask_app.session_interface = _SessionInterface()
    flask_app.config.update(
        SESSION_COOKIE_NAME="triagebot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=session_lifetime(settings),
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as its session, which has an end
    )
    flask_app.extensions[SETTINGS_KEY] = settings
    CSRFProtect(flask_app)


def bind_database(flask_app: App, db: Database) -> None:
    """The database `sign_in()` uses when a caller (Sign in with Slack) names none."""
    flask_app.extensions[DB_KEY] = db


def session_lifetime(settings: Settings) -> timedelta:
    return timedelta(hours=settings.server.session_hours)


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


def secret_digest(value: str) -> str:
    """Hex SHA-256 of a random secret (session id, API token): what the database keeps."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_api_token() -> tuple[str, str]:
    """A fresh API token (shown once) and the digest to store."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, secret_digest(token)


def password_matches(given: str, settings: Settings) -> bool:
    """Constant-time comparison of `given` with `DASHBOARD_PASSWORD` (False when unset)."""
    configured = settings.server.dashboard_password
    if configured is None or not configured.get_secret_value():
        return False
    return hmac.compare_digest(_digest(given), _digest(configured.get_secret_value()))


def password_configured(settings: Settings) -> bool:
    secret = settings.server.dashboard_password
    return secret is not None and bool(secret.get_secret_value())


def password_generation(settings: Settings, secret_key: str) -> str:
    """A tag of the current password, keyed by the session secret (the database never holds a
    plain hash of the password): a session signed in under another password is stale."""
    configured = settings.server.dashboard_password
    password = configured.get_secret_value() if configured is not None else ""
    message = b"triagebot password generation\x00" + password.encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


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


def login_configured(settings: Settings) -> bool:
    """A way to sign in exists: the dashboard password, or Sign in with Slack (OAuth set up)."""
    from bot.app import oauth_enabled

    return password_configured(settings) or oauth_enabled(settings)


def access(settings: Settings, db: Database) -> Access:
    """Whether this request may see the dashboard, must sign in, or is refused outright."""
    if not login_configured(settings):
        if not settings.server.dashboard_open_on_loopback:
            return "closed"
        if not is_loopback_request():
            return "loopback_only"
        set_viewer_scope(ALL_WORKSPACES)  # the operator's own machine, opted in
        return "ok"
    return "ok" if signed_in(settings, db) else "login"


def signed_in(settings: Settings, db: Database) -> bool:
    """The cookie names a live session of the current password (looked up once per request).

    A live session also sets what this request may see (`viewer_scope`).
    """
    cached = g.get("triagebot_signed_in")
    if isinstance(cached, bool):
        return cached
    record = _live_session(settings, db)
    g.triagebot_signed_in = record is not None
    if record is not None:
        set_viewer_scope(record.scope)
    return record is not None


def _live_session(settings: Settings, db: Database) -> repo.DashboardSessionRecord | None:
    sid = session.get(SESSION_ID_KEY)
    if not isinstance(sid, str) or not sid:
        return None
    record = repo.get_dashboard_session(db, id_digest=secret_digest(sid))
    generation = password_generation(settings, str(current_app.secret_key))
    if (
        record is not None
        and record.live(utcnow())
        and hmac.compare_digest(record.generation, generation)
    ):
        return record
    session.pop(SESSION_ID_KEY, None)  # revoked, ended or of an old password: signed out
    return None


def set_viewer_scope(scope: Workspace) -> None:
    """What this request may see: set once its credentials are checked."""
    g.triagebot_scope = scope


def viewer_scope() -> Workspace:
    """The workspace (or `ALL_WORKSPACES` for an operator) this request's credentials may see.

    Raises:
        RuntimeError: no credential was checked for this request (a route that forgot to).
    """
    scope = g.get("triagebot_scope")
    if scope is None:
        raise RuntimeError("viewer_scope() before the request's credentials were checked")
    return cast("Workspace", scope)


def sign_in(db: Database | None = None, *, subject: str, team_id: Workspace) -> None:
    """Start a fresh session (new id, new CSRF token: no session fixation), stored in `db`,
    that may see `team_id` (one workspace, or `ALL_WORKSPACES` for an operator)."""
    database: Database = db if db is not None else current_app.extensions[DB_KEY]
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the old session's token for this request
    session.permanent = True
    sid = secrets.token_urlsafe(32)
    repo.start_dashboard_session(
        database,
        id_digest=secret_digest(sid),
        subject=subject,
        team_id=team_id,
        generation=_generation_of_app(),
        lifetime=current_app.permanent_session_lifetime,
    )
    session[SESSION_ID_KEY] = sid
    g.triagebot_signed_in = True
    set_viewer_scope(team_id)


def _generation_of_app() -> str:
    settings: Settings = current_app.extensions[SETTINGS_KEY]
    return password_generation(settings, str(current_app.secret_key))


def sign_out(db: Database) -> None:
    """Revoke this session in the database (every worker sees it) and clear the cookie."""
    sid = session.get(SESSION_ID_KEY)
    if isinstance(sid, str) and sid:
        repo.revoke_dashboard_session(db, id_digest=secret_digest(sid))
    session.clear()
    g.triagebot_signed_in = False


def csrf_token() -> str:
    """This session's CSRF token (Flask-WTF's, signed), created on first use."""
    return str(generate_csrf())


def csrf_ok() -> bool:
    """Flask-WTF's check of the form field `csrf_token` or the `X-CSRF-Token` header."""
    protect: CSRFProtect = current_app.extensions["csrf"]
    try:
        protect.protect()
    except CSRFError as exc:
        logger.info("refused a request without a valid CSRF token: %s", exc.description)
        return False
    return True


def client_address() -> str:
    """The address failures are counted for (behind a proxy, make Flask see the client's)."""
    return (request.remote_addr or "unknown")[:64]


def retry_after(settings: Settings, db: Database) -> int | None:
    """Seconds this client must wait before trying a credential again; None when it may."""
    until = repo.lockout_until(
        db,
        client=client_address(),
        limit=settings.server.max_auth_failures,
        window=timedelta(seconds=settings.server.auth_failure_window_seconds),
    )
    if until is None:
        return None
    return max(1, math.ceil((until - utcnow()).total_seconds()))


def note_failure(settings: Settings, db: Database, kind: FailureKind) -> None:
    """Count a wrong password or bearer token from this client, with one log line (no secret)."""
    client = client_address()
    window = timedelta(seconds=settings.server.auth_failure_window_seconds)
    repo.record_auth_failure(db, client=client, kind=kind, keep=window)
    what = "password" if kind == "login" else "API bearer token"
    logger.warning("dashboard: wrong %s from %s", what, client)
    locked = retry_after(settings, db)
    if locked is not None:
        logger.warning("dashboard: %s is locked out for %d s after wrong attempts", client, locked)


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def bearer_scope(token: str, settings: Settings, db: Database) -> Workspace | None:
    """What `token` may see: a live API token's workspace (or every workspace for an operator's
    token), every workspace for the dashboard password (kept for older scripts); None when it
    is neither."""
    if token.startswith(API_TOKEN_PREFIX):
        record = repo.use_api_token(db, token_digest=secret_digest(token))
        if record is not None:
            return record.scope
    return ALL_WORKSPACES if password_matches(token, settings) else None
