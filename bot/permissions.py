"""Who may run admin actions: workspace admins and owners, or ids in `TRIAGE_ADMIN_USER_IDS`."""

from __future__ import annotations

import logging
import threading
import time
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
