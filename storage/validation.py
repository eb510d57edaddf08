"""Input rules shared by the repositories: lengths, labels and choices (raise `InvalidInput`)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from storage.errors import InvalidInput

logger = logging.getLogger(__name__)

# Column sizes: the ORM, the migrations and the checks below all use these.
ID_LEN = 64  # Slack team/channel/user ids, event ids, message timestamps
NAME_LEN = 128  # model versions, lease names and holders, admin actions
PATH_LEN = 1024
NOTE_LEN = 2000
TEXT_LEN = 40_000  # Slack's own limit on a message
LOG_LEN = 20_000
LABEL_LEN = 16

# The sentiment labels a stored row may carry; tests/storage/test_bad_input.py checks that they
# equal `models.types.LABELS` (storage must not import the models layer).
LABELS = ("negative", "neutral", "positive")
KINDS = ("classifier", "generator")
MODEL_STATUSES = ("candidate", "active", "retired", "rejected")
FEEDBACK_SOURCES = ("button", "modal", "command", "shortcut", "import")
TRIGGERS = ("schedule", "admin", "drift", "cli")
OUTCOMES = ("promoted", "rejected", "failed", "skipped")
CHANNEL_MODES = ("tag", "alert", "suggest")
PRIVACY_MODES = ("ids_only", "store_text")


def text_field(name: str, value: str, *, max_len: int, allow_empty: bool = False) -> str:
    """Return `value` if it is a string of at most `max_len` characters (non-empty unless
    allowed) that both engines can store: PostgreSQL refuses NUL in text, and a lone surrogate
    (valid in JSON as `"\\ud800"`) is not UTF-8, so SQLite's driver fails on it."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise InvalidInput(f"{name} must not be empty")
    if len(value) > max_len:
        raise InvalidInput(f"{name} is {len(value)} characters long, the limit is {max_len}")
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput(f"{name} must not contain lone surrogates") from exc
    return value


def optional_text(name: str, value: str | None, *, max_len: int) -> str | None:
    """Like `text_field`, but None (and an empty string) mean "not given"."""
    if value is None or value == "":
        return None
    return text_field(name, value, max_len=max_len)


def ident(name: str, value: str) -> str:
    """A Slack id, message ts or event id: non-empty, no whitespace, at most `ID_LEN` characters."""
    text_field(name, value, max_len=ID_LEN)
    if any(ch.isspace() for ch in value):
        raise InvalidInput(f"{name} must not contain whitespace: {value!r}")
    return value


def optional_ident(name: str, value: str | None) -> str | None:
    """Like `ident`, but None means "not given"."""
    return None if value is None else ident(name, value)


def choice(name: str, value: str, allowed: Iterable[str]) -> str:
    """Return `value` if it is one of `allowed`."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidInput(f"{name} {value!r} is not one of {', '.join(allowed)}")
    return value


def label(value: str, name: str = "label") -> str:
    """A sentiment label: one of `LABELS`."""
    return choice(name, value, LABELS)


def scores(value: Mapping[str, float]) -> dict[str, float]:
    """Per-label probabilities: known labels only, each a finite number in [0, 1]."""
    if not isinstance(value, Mapping) or not value:
        raise InvalidInput("scores must be a non-empty mapping of label to probability")
    out: dict[str, float] = {}
    for key, prob in value.items():
        label(key, "score label")
        if not isinstance(prob, int | float) or not math.isfinite(prob) or not 0 <= prob <= 1:
            raise InvalidInput(f"score of {key!r} must be a number in [0, 1], got {prob!r}")
        out[key] = float(prob)
    return out


def non_negative(name: str, value: float) -> float:
    """A finite number >= 0 (latencies, durations)."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def json_object(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-able mapping (metrics, snapshots); None means empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{name} must be a mapping, got {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} is not plain JSON: {exc}") from exc
    return dict(value)
