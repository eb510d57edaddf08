"""Permalinks of alerted messages, asked of Slack once per process (a digest re-renders often)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from slack_sdk import WebClient

from bot.outbox.calls import permalink

logger = logging.getLogger(__name__)


class Permalinks:
    """A bounded cache of `chat.getPermalink` answers by (team, channel, ts)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._links: OrderedDict[tuple[str | None, str, str], str | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, client: WebClient, *, team_id: str | None, channel_id: str, message_ts: str
    ) -> str | None:
        key = (team_id, channel_id, message_ts)
        with self._lock:
            if key in self._links:
                self._links.move_to_end(key)
                return self._links[key]
        link = permalink(client, channel_id, message_ts)
        if link is not None:  # a refusal may pass: ask again next time
            with self._lock:
                self._links[key] = link
                while len(self._links) > self._size:
                    self._links.popitem(last=False)
        return link
