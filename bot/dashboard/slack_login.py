"""Sign in with Slack (OpenID Connect) for the dashboard, on when the app has OAuth credentials.

`/login/slack` sends the browser to Slack with a one-time `state`; Slack sends it back to
`/login/slack/callback` with a code, exchanged for the user's identity (`openid.connect.token`,
`openid.connect.userInfo`). Who may sign in: a user in `TRIAGE_ADMIN_USER_IDS` or
`TRIAGE_OPERATOR_USER_IDS`, or an admin or owner of a workspace that installed the app
(`users.info` with that workspace's bot token); being a member is not enough. A workspace admin's
session sees that workspace only; an operator's sees every workspace.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, session, url_for
from slack_sdk.errors import SlackApiError
from werkzeug.wrappers import Response as BaseResponse

from bot.app import oauth_enabled
from bot.dashboard.auth import sign_in
from bot.installation_store import find_workspace_bot
from bot.permissions import is_operator
from bot.settings import Settings
from bot.slack_api import build_client
from storage.workspaces import ALL_WORKSPACES

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"
STATE_KEY = "slack_login_state"
USER_CLAIM, TEAM_CLAIM = "https://slack.com/user_id", "https://slack.com/team_id"
ENTERPRISE_CLAIM = "https://slack.com/enterprise_id"  # Enterprise Grid members only


def slack_login_enabled(settings: Settings) -> bool:
    """Sign in with Slack is offered when the app is set up for the OAuth install."""
    return oauth_enabled(settings)


def authorize_url(settings: Settings, *, redirect_uri: str, state: str) -> str:
    """Slack's OpenID Connect authorize page for this app, asking only for the user's identity."""
    query = {
        "response_type": "code",
        "scope": "openid",
        "client_id": settings.slack.client_id or "",
        "redirect_uri": redirect_uri,
        "state": state,
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


def register_slack_login(pages: Blueprint, services: Services) -> None:
    """Add `/login/slack` and its callback to the dashboard blueprint."""
    settings = services.settings

    @pages.get("/login/slack")
    def handle_slack_login() -> BaseResponse | tuple[str, int]:
        if not slack_login_enabled(settings):
            return render_template("dashboard/login.html", error="Sign in with Slack is off."), 404
        state = secrets.token_urlsafe(24)
        session[STATE_KEY] = state
        callback = url_for("dashboard.handle_slack_callback", _external=True)
        return redirect(authorize_url(settings, redirect_uri=callback, state=state))

    @pages.get("/login/slack/callback")
    def handle_slack_callback() -> BaseResponse | tuple[str, int]:
        expected = session.pop(STATE_KEY, None)
        given, code = request.args.get("state"), request.args.get("code")
        if not slack_login_enabled(settings) or not expected or not code or given != expected:
            return render_template("dashboard/login.html", error="Sign-in expired, try again."), 400
        callback = url_for("dashboard.handle_slack_callback", _external=True)
        try:
            team_id, user_id, enterprise_id = identify(settings, code=code, redirect_uri=callback)
        except (SlackApiError, KeyError) as exc:
            logger.warning("Sign in with Slack failed: %s", exc)
            return render_template("dashboard/login.html", error="Slack did not confirm you."), 401
        if not may_sign_in(services, team_id=team_id, user_id=user_id, enterprise_id=enterprise_id):
            logger.warning("dashboard: %s of %s is not an admin: refused", user_id, team_id)
            return render_template("dashboard/login.html", error="Only admins may sign in."), 403
        # A workspace admin sees that workspace; an instance operator sees every workspace.
        scope = ALL_WORKSPACES if is_operator(settings.slack, user_id) else team_id
        sign_in(subject=f"slack:{team_id}:{user_id}", team_id=scope)
        session["slack_user"] = user_id
        logger.info("dashboard: %s of %s signed in with Slack", user_id, team_id)
        return redirect(url_for("dashboard.handle_index"))


def identify(settings: Settings, *, code: str, redirect_uri: str) -> tuple[str, str, str | None]:
    """(team id, user id, enterprise id) of the person Slack says the `code` belongs to; the
    enterprise only for a member of an Enterprise Grid organisation."""
    assert settings.slack.client_secret is not None
    tokens = build_client(settings.slack).openid_connect_token(
        client_id=settings.slack.client_id or "",
        client_secret=settings.slack.client_secret.get_secret_value(),
        code=code,
        redirect_uri=redirect_uri,
    )
    user = build_client(settings.slack, token=tokens["access_token"]).openid_connect_userInfo()
    enterprise_id = user.get(ENTERPRISE_CLAIM)
    return (
        str(user[TEAM_CLAIM]),
        str(user[USER_CLAIM]),
        str(enterprise_id) if enterprise_id else None,
    )


def may_sign_in(
    services: Services, *, team_id: str, user_id: str, enterprise_id: str | None = None
) -> bool:
    """Operator, listed admin, or admin/owner of an installed workspace (the bot's admin check).

    The workspace's installation is found as Bolt finds it: with the user's enterprise (an
    Enterprise Grid workspace, or its organisation's org-wide install).
    """
    if is_operator(services.settings.slack, user_id):
        return True
    store: Any = getattr(services, "installation_store", None)
    bot = (
        find_workspace_bot(store, enterprise_id=enterprise_id, team_id=team_id)
        if store is not None
        else None
    )
    if bot is None or not bot.bot_token:  # no workspace to ask: only the listed admins
        return user_id in services.settings.slack.admin_ids
    client = build_client(services.settings.slack, token=bot.bot_token)
    return services.is_admin(client, user_id, team_id=team_id)
