"""Button values and modal metadata stay within Slack's limits and survive a round trip."""

from __future__ import annotations

import json

import pytest

from bot.payloads import BUTTON_VALUE_LIMIT, decode, encode, feedback_target


def test_round_trip() -> None:
    state = {"t": "hello", "l": "negative", "c": "C1"}
    assert decode(encode(state)) == state


def test_long_text_is_shortened_to_fit() -> None:
    raw = encode({"t": "x" * 40_000, "l": "negative", "d": "y" * 5000})
    assert len(raw) <= BUTTON_VALUE_LIMIT
    state = json.loads(raw)
    assert state["l"] == "negative" and state["t"].endswith("…")


def test_quotes_and_unicode_count_after_escaping() -> None:
    raw = encode({"t": '"' * 3000 + "é" * 3000})
    assert len(raw) <= BUTTON_VALUE_LIMIT


def test_state_without_text_that_cannot_fit_is_an_error() -> None:
    with pytest.raises(ValueError):
        encode({"n": list(range(2000))})


@pytest.mark.parametrize("raw", [None, "", "{oops", "[1, 2]", "42"])
def test_malformed_state_decodes_to_empty(raw: str | None) -> None:
    assert decode(raw) == {}


def test_feedback_target_names_the_message_or_only_the_workspace() -> None:
    assert feedback_target({"c": "C1", "ts": "1.1"}, "T1") == {
        "team_id": "T1",
        "channel_id": "C1",
        "message_ts": "1.1",
    }
    assert feedback_target({"c": "C1"}, "T1") == {"team_id": "T1"}  # typed text, no message
    assert feedback_target({"c": "C1", "ts": "1.1"}, None) == {}
