"""What one delivery attempt came to, and how Slack's answers map onto it.

    sent        delivered (or Slack says it already was: `already_reacted`, `no_reaction`)
    retry       transient: 429 (after its Retry-After), 5xx, a timeout or a lost connection
    failed      permanent: retrying cannot help (`channel_not_found`, `invalid_auth`, ...)
    deferred    not tried: the pacing of its channel or method says "not yet"

Unknown Slack errors count as permanent: a refusal nobody expected is shown to admins once
rather than retried in a storm.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Literal

logger = logging.getLogger(__name__)

Kind = Literal["sent", "retry", "failed", "deferred"]

# Errors a retry can fix; everything else Slack refuses is permanent.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)
# Errors that mean the write already happened (a reaction to remove that is not there: gone).
ALREADY_DONE = frozenset({"already_reacted", "no_reaction"})
MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class Outcome:
    """One attempt's result.

    Attributes:
        kind: sent, retry, failed or deferred (see the module docstring).
        result_ts: the posted message's ts (chat.postMessage).
        reason: Slack's error code or what went wrong.
        wait: seconds until the next try (retry, deferred); None: the sender's back-off decides.
        hold: a 429: the pacing scope to hold back for `wait` seconds.
        version: the digest version this attempt rendered (digests only).
    """

    kind: Kind
    result_ts: str | None = None
    reason: str | None = None
    wait: float | None = None
    hold: bool = False
    version: int | None = None

    @classmethod
    def sent(cls, result_ts: str | None = None) -> Outcome:
        return cls("sent", result_ts=result_ts)

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        return cls("failed", reason=reason)

    @classmethod
    def retry(cls, reason: str, wait: float | None = None, *, hold: bool = False) -> Outcome:
        return cls("retry", reason=reason, wait=wait, hold=hold)

    @classmethod
    def deferred(cls, wait: float) -> Outcome:
        return cls("deferred", wait=wait)


def from_http(status: int, error: str | None, retry_after: str | None) -> Outcome:
    """Classify a refused call by HTTP status, Slack's `error` code and the Retry-After header."""
    if status == 429:
        return Outcome.retry("ratelimited", parse_retry_after(retry_after), hold=True)
    if status >= 500:
        return Outcome.retry(f"http_{status}")
    code = error or f"http_{status}"
    if code in ALREADY_DONE:
        return Outcome.sent()
    if code in TRANSIENT_ERRORS:
        return Outcome.retry(code, parse_retry_after(retry_after) if retry_after else None)
    return Outcome.failed(code)


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """Seconds from a Retry-After header (Slack sends whole seconds)."""
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` (1, 2, 4, ... up to 5 minutes, with jitter)."""
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)
