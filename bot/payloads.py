"""Compact JSON state carried in button values (2,000 chars) and modal private_metadata (3,000)."""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)

BUTTON_VALUE_LIMIT = 2000
METADATA_LIMIT = 3000


def encode(state: dict[str, Any], *, limit: int = BUTTON_VALUE_LIMIT) -> str:
    """Serialise `state`, shortening its longest string fields until it fits in `limit` chars."""
    data = dict(state)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    while len(text) > limit:
        strings = {k: v for k, v in data.items() if isinstance(v, str)}
        if not strings:
            raise ValueError("state does not fit and has no text to shorten")
        key = max(strings, key=lambda k: len(strings[k]))
        value = strings[key]
        if len(value) <= 1:
            raise ValueError("state does not fit")
        excess = len(text) - limit
        data[key] = value[: max(0, len(value) - excess - 1)] + "…"
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text


def decode(raw: object) -> dict[str, Any]:
    """Parse state written by `encode`; malformed or missing input gives an empty dict.

    `raw` is whatever the payload held: not a string, bad JSON, a 5,000-digit number, nesting
    deeper than the recursion limit or JSON that is no object all give `{}` and one log line.
    """
    if not raw:
        return {}
    if not isinstance(raw, str):
        logger.warning("ignoring state that is not a string (%s)", type(raw).__name__)
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        logger.warning("ignoring malformed state %r", raw[:80])
        return {}
    return value if isinstance(value, dict) else {}


def feedback_target(state: dict[str, Any], team_id: str | None) -> dict[str, Any]:
    """`record_feedback` arguments: the workspace, plus channel and ts when a message is named.

    Typed feedback (no message) still carries the workspace, so an uninstall deletes it too.
    """
    channel_id, message_ts = state.get("c"), state.get("ts")
    if team_id and channel_id and message_ts:
        return {"team_id": team_id, "channel_id": channel_id, "message_ts": message_ts}
    return {"team_id": team_id} if team_id else {}
