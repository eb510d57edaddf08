"""The Bolt app factory: `create_app(settings, services)` wires the client, auth and listeners."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.listeners import register_all
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.slack_api import build_client

logger = logging.getLogger(__name__)

# Keep in step with manifest.yml (DESIGN.md: minimal bot scopes).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "reactions:write",
    "channels:history",
    "channels:read",
    "groups:history",
    "groups:read",
    "app_mentions:read",
    "users:read",
)


def oauth_enabled(settings: Settings) -> bool:
    """Multi-workspace OAuth when both client id and secret are set."""
    return settings.slack.multi_workspace


def missing_slack_credentials(settings: Settings, *, socket_mode: bool = False) -> str:
    """What Slack credentials the chosen mode lacks, as one sentence ("" when none)."""
    slack = settings.slack
    if not socket_mode and not slack.signing_secret:
        return "SLACK_SIGNING_SECRET is required in HTTP mode"
    if not oauth_enabled(settings) and not slack.bot_token:
        return (
            "set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth)"
        )
    return ""


def create_app(settings: Settings, services: Services, *, socket_mode: bool = False) -> App:
    """Build the Bolt app.

    HTTP mode verifies every request's signature and its 5-minute timestamp window (Bolt's
    `RequestVerification`); Socket Mode needs no signing secret. The token is not checked at
    construction (`auth.test` runs on the first request), so building the app works offline.

    Raises:
        SettingsError: a credential the chosen mode needs is missing.
    """
    slack = settings.slack
    missing = missing_slack_credentials(settings, socket_mode=socket_mode)
    if missing:
        raise SettingsError(missing)
    signing_secret = slack.signing_secret.get_secret_value() if slack.signing_secret else None
    oauth = oauth_enabled(settings)
    # The token rides on the client: Bolt ignores `token=` when a client is given.
    token = slack.bot_token.get_secret_value() if slack.bot_token and not oauth else None
    client = build_client(slack, token=token)
    common = {
        "signing_secret": signing_secret or "",
        "client": client,
        "token_verification_enabled": False,
        "request_verification_enabled": not socket_mode,
        "listener_executor": ThreadPoolExecutor(
            max_workers=slack.listener_threads, thread_name_prefix="bolt-listener"
        ),
        "logger": logging.getLogger("bot.bolt"),
    }
    if oauth:
        app = App(oauth_settings=_oauth_settings(settings, services), **common)  # type: ignore[arg-type]
    else:
        app = App(**common)  # type: ignore[arg-type]
    register_all(app, services)
    return app


def _oauth_settings(settings: Settings, services: Services) -> OAuthSettings:
    from bot.installation_store import installation_store, oauth_state_store

    assert settings.slack.client_secret is not None
    store = services.installation_store or installation_store(
        services.db, client_id=settings.slack.client_id or ""
    )
    services.installation_store = store
    oauth = OAuthSettings(
        client_id=settings.slack.client_id,
        client_secret=settings.slack.client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=store,
        state_store=oauth_state_store(services.db),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )
    # Bolt's own authorize (enterprise-aware: a Grid workspace, an org-wide install; refreshes a
    # rotating token before the listener runs), but refreshing through `SLACK_API_BASE_URL`:
    # the one OAuthSettings builds refreshes with a default client, always on slack.com.
    oauth.authorize = InstallationStoreAuthorize(
        logger=logging.getLogger("bot.bolt"),
        installation_store=store,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes,
        client=build_client(settings.slack),
    )
    return oauth
