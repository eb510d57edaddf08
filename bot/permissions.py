"""Who may run admin actions: workspace admins and owners, or ids in `TRIAGE_ADMIN_USER_IDS`.

Channel settings (automatic triage on/off, its mode, privacy mode and escalation channel) follow
the same rule wherever they are changed: `/triage channel`, the mode buttons posted when the bot is
invited, and the App Home modal all ask `channel_settings_refusal`. A channel's settings decide
whether customer text is read and kept and where it is quoted, so being a member of the channel
is not enough.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import SlackSettings

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class AdminChecker:
    """Answers `is_admin(client, user_id, team_id=...)`, caching `users.info` for a few minutes.

    Admin is a role in one workspace: a member of an Enterprise Grid organisation keeps one user
    id in every workspace of it and may be an admin in one of them only. So an answer is cached
    by (workspace, user): the team when the caller names it (listeners pass the signed team),
    else the bot token the question was asked with, which belongs to one installation. Team ids
    are unique across Slack, so the enterprise adds nothing to the key.
    """

    def __init__(self, admin_ids: frozenset[str], cache_seconds: float = CACHE_SECONDS) -> None:
        self._admin_ids = admin_ids
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_admin(
        self, client: WebClient, user_id: str | None, *, team_id: str | None = None
    ) -> bool:
        if not user_id:
            return False
        if user_id in self._admin_ids:
            return True
        key = (f"team:{team_id}" if team_id else f"token:{client.token}", user_id)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached and now - cached[0] < self._cache_seconds:
            return cached[1]
        answer = self._ask_slack(client, user_id)
        with self._lock:
            self._cache[key] = (now, answer)
        return answer

    @staticmethod
    def _ask_slack(client: WebClient, user_id: str) -> bool:
        try:
            response = client.users_info(user=user_id)
        except SlackApiError:
            logger.warning(
                "users.info failed for %s; treating as non-admin", user_id, exc_info=True
            )
            return False
        user: dict[str, Any] = response.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


CHANNEL_SETTINGS_REFUSAL = (
    "Only workspace admins and owners (or the bot's configured admins) can change a channel's "
    "triage settings, so nothing was changed. Ask one of them to do it."
)


class AdminCheck(Protocol):
    """`Services.is_admin`: whether `user_id` is an admin of the workspace (`team_id`)."""

    def __call__(
        self, client: WebClient, user_id: str | None, /, *, team_id: str | None = None
    ) -> bool: ...


def channel_settings_refusal(
    is_admin: AdminCheck, client: WebClient, user_id: str | None, *, team_id: str | None = None
) -> str | None:
    """The one rule for changing a channel's settings: None when `user_id` may, else why not.

    Args:
        is_admin: the admin check (`Services.is_admin`).
        client: the Web API client of the signed request's workspace.
        user_id: who asked.
        team_id: the signed request's workspace (admin answers are cached per workspace).

    Returns:
        None when allowed; otherwise the text to show the user.
    """
    if is_admin(client, user_id, team_id=team_id):
        return None
    logger.info("refused a channel settings change by non-admin %s", user_id)
    return CHANNEL_SETTINGS_REFUSAL


def bot_can_post_in(client: WebClient, channel_id: str) -> bool:
    """Whether the bot is a member of `channel_id` (so `chat.postMessage` can post there).

    `conversations.info` needs only `channels:read` / `groups:read`; a private channel the bot is
    not in answers `channel_not_found`, which counts as no.
    """
    try:
        response = client.conversations_info(channel=channel_id)
    except SlackApiError:
        logger.info("conversations.info failed for %s", channel_id, exc_info=True)
        return False
    channel: dict[str, Any] = response.get("channel") or {}
    return bool(channel.get("is_member")) and not channel.get("is_archived")


def model_management_refusal(slack: SlackSettings) -> str:
    """What a user who may not retrain, promote or roll back is told (see `may_manage_models`)."""
    if slack.multi_workspace:
        return (
            "Every workspace on this instance shares the model, so retraining, promoting and "
            "rolling back are for the instance's operators (TRIAGE_OPERATOR_USER_IDS). "
            "`/triage status` shows the model's state."
        )
    if slack.operator_ids:
        return "Only the operators in TRIAGE_OPERATOR_USER_IDS can retrain, promote or roll back."
    return (
        "Only workspace admins (or the bot's configured admins) can retrain, promote or roll back."
    )


def may_manage_models(
    slack: SlackSettings,
    is_admin: AdminCheck,
    client: WebClient,
    user_id: str | None,
    *,
    team_id: str | None,
) -> bool:
    """The one rule for retrain, promote and rollback, from Slack or the dashboard.

    A listed operator may. With no operator listed, a single-workspace install (one bot token)
    lets that workspace's admins, since the model is theirs alone; with the OAuth install the
    model is shared by every workspace, so no workspace admin may change it.
    """
    if user_id and user_id in slack.operator_ids:
        return True
    if slack.multi_workspace or slack.operator_ids:
        return False
    return is_admin(client, user_id, team_id=team_id)


def is_operator(slack: SlackSettings, user_id: str | None) -> bool:
    """Listed in `TRIAGE_OPERATOR_USER_IDS` (sees every workspace on the dashboard)."""
    return bool(user_id) and user_id in slack.operator_ids
