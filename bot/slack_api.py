"""The Web API client the app uses, and calls that turn Slack's expected refusals into skips."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from bot.installation_store import TeamBots
from bot.settings import SlackSettings

logger = logging.getLogger(__name__)

# Refusals that retrying cannot fix: log once and move on (no retry storm).
SKIPPABLE_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "message_not_found",
        "cant_update_message",
        "user_not_in_channel",
        "no_permission",
        "missing_scope",
    }
)


def build_client(
    settings: SlackSettings, token: str | None = None, *, retries: bool = True
) -> WebClient:
    """A WebClient on `SLACK_API_BASE_URL` that retries 429 (after Retry-After) and connection
    errors; with `retries=False` it retries nothing (the outbox waits in the database, not in
    a thread)."""
    base_url = (
        settings.api_base_url
        if settings.api_base_url.endswith("/")
        else f"{settings.api_base_url}/"
    )
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ]
        if retries
        else [],
    )


def slack_error(exc: SlackApiError) -> str:
    """The `error` code of a failed Web API call."""
    data = exc.response.data if exc.response is not None else None
    return str(data.get("error", "unknown")) if isinstance(data, dict) else "unknown"


def call_or_skip(method: Callable[..., Any], **kwargs: Any) -> Any | None:
    """Call a Web API method; return None (logged) when Slack refuses for a reason retries cannot fix.

    `already_reacted` counts as success. Other API errors propagate to the caller's boundary.
    """
    try:
        return method(**kwargs)
    except SlackApiError as exc:
        error = slack_error(exc)
        if error == "already_reacted":
            return exc.response
        if error in SKIPPABLE_ERRORS:
            logger.info(
                "skipped %s in %s: %s",
                getattr(method, "__name__", "call"),
                kwargs.get("channel"),
                error,
            )
            return None
        raise


class SlackClients:
    """Web API clients by workspace for the outbox sender, one per workspace and token.

    They retry nothing: the sender honours Retry-After and backs off itself, the row waiting in
    the database rather than a thread sleeping in slack_sdk's retry handler. One workspace
    (`SLACK_BOT_TOKEN`): every team gets the same client. OAuth: the team's bot token comes from
    the installation store through `bot.installation_store.TeamBots`, which finds workspaces of
    an Enterprise Grid organisation and org-wide installs by team id and refreshes a rotating
    token before it expires (with `SLACK_CLIENT_ID` / `SLACK_CLIENT_SECRET`); a team without an
    installation gets None (it was uninstalled, or its token revoked) and its writes are dropped
    with a reason.
    """

    def __init__(
        self, settings: SlackSettings, installation_store: SQLAlchemyInstallationStore | None = None
    ) -> None:
        self.settings = settings
        self.installation_store = installation_store
        token = settings.bot_token.get_secret_value() if settings.bot_token else None
        self._single = (
            None if installation_store is not None else build_client(settings, token, retries=False)
        )
        self._bots = (
            None
            if installation_store is None
            else TeamBots(
                installation_store,
                client=build_client(settings),
                client_id=settings.client_id,
                client_secret=(
                    settings.client_secret.get_secret_value() if settings.client_secret else None
                ),
            )
        )
        self._by_team: dict[str | None, WebClient] = {}  # rebuilt when the token changes

    def client_for(self, team_id: str | None) -> WebClient | None:
        """The client that writes into `team_id`'s workspace, or None when it has no bot token."""
        if self._bots is None:
            return self._single
        token = self._bots.bot_token(team_id)
        if not token:
            return None
        client = self._by_team.get(team_id)
        if client is None or client.token != token:
            client = self._by_team[team_id] = build_client(self.settings, token, retries=False)
        return client
