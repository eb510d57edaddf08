"""Where the outbox gets its Web API clients: `bot.slack_api.SlackClients`, or a test's."""

from __future__ import annotations

import logging
from typing import Protocol

from slack_sdk import WebClient

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class ClientSource(Protocol):
    """Gives the client that writes into a workspace (`bot.slack_api.SlackClients`)."""

    def client_for(self, team_id: str | None) -> WebClient | None: ...
