"""Web API clients for the outbox: no retry handlers, so a 429 never sleeps in a thread.

The sender honours Retry-After itself (the row waits in the database, not a thread), so the
outbox derives its own clients from the app's (`bot.slack_api.SlackClients`): the same token
and base URL, without slack_sdk's `RateLimitErrorRetryHandler` or connection retries.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from slack_sdk import WebClient

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class ClientSource(Protocol):
    """Gives the client that writes into a workspace (`bot.slack_api.SlackClients`)."""

    def client_for(self, team_id: str | None) -> WebClient | None: ...


class NoRetryClients:
    """Clients like `source`'s, but without retry handlers; one per token, built once.

    Args:
        source: where the tokens come from (None for a team without an installation).
    """

    def __init__(self, source: ClientSource) -> None:
        self._source = source
        self._built: dict[tuple[str | None, str], WebClient] = {}
        self._lock = threading.Lock()

    def client_for(self, team_id: str | None) -> WebClient | None:
        template = self._source.client_for(team_id)
        if template is None:
            return None
        key = (template.token, template.base_url)
        with self._lock:
            client = self._built.get(key)
            if client is None:
                client = WebClient(
                    token=template.token,
                    base_url=template.base_url,
                    timeout=TIMEOUT_SECONDS,
                    retry_handlers=[],
                )
                self._built[key] = client
        return client
