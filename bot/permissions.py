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
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class AdminChecker:
    """Answers `is_admin(client, user_id)`, caching `users.info` answers for a few minutes."""

    def __init__(self, admin_ids: frozenset[str], cache_seconds: float = CACHE_SECONDS) -> None:
        self._admin_ids = admin_ids
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_admin(self, client: WebClient, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self._admin_ids:
            return True
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < self._cache_seconds:
            return cached[1]
        answer = self._ask_slack(client, user_id)
        with self._lock:
            self._cache[user_id] = (now, answer)
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

AdminCheck = Callable[[WebClient, str | None], bool]


def channel_settings_refusal(
    is_admin: AdminCheck, client: WebClient, user_id: str | None
) -> str | None:
    """The one rule for changing a channel's settings: None when `user_id` may, else why not.

    Args:
        is_admin: the admin check (`Services.is_admin`).
        client: the Web API client of the signed request's workspace.
        user_id: who asked.

    Returns:
        None when allowed; otherwise the text to show the user.
    """
    if is_admin(client, user_id):
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
