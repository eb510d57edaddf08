"""Which pacing scope a Slack write belongs to, and the wait it owes (shared through storage).

Slack allows `chat.postMessage` about one message per second per channel, with short bursts:
those writes are paced per (team, channel) by GCRA. `reactions.add`, `chat.update` and
`views.update` (Tier 3) are paced per (team, method) only by what Slack answers: a 429 holds
the scope back for its Retry-After. Writes to a `response_url` are not paced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import repositories as repo
from storage.columns import utcnow
from storage.database import Database

logger = logging.getLogger(__name__)

POST_INTERVAL_SECONDS = 1.0
POST_BURST = 3
Holds = dict[tuple[str | None, str], datetime]


@dataclass(frozen=True)
class Pace:
    """A pacing scope: `interval` seconds between writes after a burst of `burst` (0: 429s only)."""

    scope: str
    interval: float = 0.0
    burst: int = 1


class Pacer:
    """Asks storage whether a scope may write now; holds scopes back after a 429.

    Args:
        db: where the pacing state lives (shared by every process).
        post_interval: seconds between messages per channel once the burst is spent.
        post_burst: messages a channel may take at once.
    """

    def __init__(
        self,
        db: Database,
        *,
        post_interval: float = POST_INTERVAL_SECONDS,
        post_burst: int = POST_BURST,
    ) -> None:
        self.db = db
        self.post_interval = post_interval
        self.post_burst = post_burst

    def pace_for(self, method: str, channel_id: str | None) -> Pace | None:
        """The scope of a Web API call (None: not paced)."""
        if method == "chat.postMessage" and channel_id:
            return Pace(f"channel:{channel_id}", self.post_interval, self.post_burst)
        if method == "response_url":
            return None
        return Pace(f"method:{method}")

    def wait(self, team_id: str | None, pace: Pace, holds: Holds) -> float:
        """Seconds until the scope may write (0.0: go, and the slot is taken)."""
        held = holds.get((team_id, pace.scope))
        now = utcnow()
        if held is not None and held > now:
            return (held - now).total_seconds()
        if pace.interval <= 0:
            return 0.0
        return repo.reserve_slot(
            self.db, team_id=team_id, scope=pace.scope, interval=pace.interval, burst=pace.burst
        )

    def hold(self, team_id: str | None, pace: Pace, seconds: float, holds: Holds) -> None:
        """Hold the scope back for `seconds` (a 429), here and for every other process."""
        until = utcnow() + timedelta(seconds=seconds)
        holds[(team_id, pace.scope)] = until
        repo.hold_scope(self.db, team_id=team_id, scope=pace.scope, until=until)
