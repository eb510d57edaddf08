"""Counting and timing every ack: a global middleware puts a timed `ack` into each request.

Slack gives a request 3 seconds to be acknowledged. The middleware runs after Bolt's signature
check and authorization and before any listener; it replaces the request's `ack` with `TimedAck`,
which records `triagebot_acks_total` and `triagebot_ack_seconds` (by kind) on its first call,
whether a listener, `guarded` or Bolt's automatic ack of events made it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.request.payload_utils import (
    is_action,
    is_event,
    is_options,
    is_shortcut,
    is_slash_command,
    is_view,
)

from bot import metrics
from bot.services import Services

logger = logging.getLogger(__name__)

_KINDS: tuple[tuple[str, Callable[[dict[str, Any]], bool]], ...] = (
    ("event", is_event),
    ("command", is_slash_command),
    ("action", is_action),
    ("shortcut", is_shortcut),
    ("view", is_view),
    ("options", is_options),
)


def request_kind(body: dict[str, Any]) -> str:
    """The kind of Slack request: event, command, action, shortcut, view, options or other."""
    return next((kind for kind, matches in _KINDS if matches(body)), "other")


class TimedAck(Ack):
    """Bolt's `ack` that counts the request's first ack and how long after `started` it came."""

    def __init__(self, kind: str, started: float) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Bolt leaves Ack.__init__ untyped
        self.kind = kind
        self.started = started

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        first = self.response is None
        response = super().__call__(*args, **kwargs)
        if first:
            metrics.count_ack(self.kind, time.perf_counter() - self.started)
        return response


BUSY_STATUS = 503


def register(app: App, services: Services) -> None:
    """Install `time_acks` and `defer_when_busy` as global middleware."""

    @app.middleware
    def defer_when_busy(body: dict[str, Any], next_: Callable[[], None]) -> BoltResponse | None:
        """Answer a message event with 503 while the triage queue is full, before any ack.

        An acknowledged event is never sent again, so a message refused after the ack would be
        lost; a 503 makes Slack deliver it again later (its retries come after about a minute and
        five minutes), when the queue has room. Only with the inline executor: a broker says
        whether it took a job when the job is sent.
        """
        jobs = services.jobs
        event = body.get("event") if is_event(body) else None
        is_message = isinstance(event, dict) and event.get("type") == "message"
        if is_message and jobs is not None and jobs.full("triage"):
            metrics.count_job("triage", "deferred")
            logger.warning(
                "triage queue full: message event %s left for Slack to redeliver",
                body.get("event_id"),
            )
            return BoltResponse(status=BUSY_STATUS, body="busy: please retry")
        next_()
        return None

    @app.middleware
    def time_acks(body: dict[str, Any], context: BoltContext, next_: Callable[[], None]) -> None:
        """Give the request a `TimedAck` unless something acked it already."""
        if context.ack.response is None:
            context["ack"] = TimedAck(request_kind(body), time.perf_counter())
        next_()
