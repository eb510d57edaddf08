"""Slack event ids this process has seen lately: a retry of a message event is dropped here,
without a database write on the request path.

Slack retries an event it thinks went unanswered (after 3 s, about 1 minute and about 5 minutes).
A message's triage needs no durable claim of its event id: the prediction is unique by (team,
channel, ts) and written with its reaction and alert in one transaction, so a retry that reaches
another replica (or this one after a restart) is classified again and recorded as a duplicate,
never tagged twice. Remembering recent ids only saves that repeated classification, and keeps a
write per message off the ack path, where it would contend for SQLite's write lock with the
triage batches (about 200 transactions/s is this lock's ceiling on the benchmark machine).

Example:
    >>> seen = RecentEvents(capacity=2)
    >>> seen.first_time("Ev1"), seen.first_time("Ev1")
    (True, False)
"""

from __future__ import annotations

import threading
from collections import OrderedDict

CAPACITY = 50_000  # about 4 minutes of 200 events/s; each id is a few dozen bytes


class RecentEvents:
    """A bounded, thread-safe set of the newest event ids (the oldest are forgotten first)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = max(1, capacity)
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """Remember `event_id`; False when it was seen before (and not yet forgotten)."""
        with self._lock:
            if event_id in self._ids:
                self._ids.move_to_end(event_id)
                return False
            self._ids[event_id] = None
            if len(self._ids) > self._capacity:
                self._ids.popitem(last=False)
            return True
