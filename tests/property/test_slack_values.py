"""Button values and view private_metadata: what the bot writes, and what comes back.

Parsers covered (the values come back inside signed payloads, but are read as outside input):

- `bot/payloads.py:decode`: button values and `private_metadata` (`feedback_*`, `draft_*`
  buttons; the relabel and draft-edit modals), with `encode` its writer.
- `bot/listeners/modals.py:field_value`: a view submission's `state.values`.
- `bot/listeners/actions.py:handle_channel_mode_choose`'s `"CHANNEL:mode"` button value, written
  by `bot/blocks/triage.py:build_mode_prompt_blocks`.

Properties: `decode` of anything returns a dict and never raises; `field_value` of a view of any
shape returns the submitted value or None; whatever the bot encodes (from any customer text)
decodes to the same state, its ids intact and its texts at most shortened, within Slack's limits.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.draft import build_draft_blocks, build_draft_edit_modal
from bot.blocks.feedback import build_relabel_modal
from bot.blocks.prediction import build_prediction_blocks
from bot.blocks.triage import MODES, build_alert_blocks, build_mode_prompt_blocks
from bot.listeners.modals import field_value
from bot.payloads import BUTTON_VALUE_LIMIT, METADATA_LIMIT, decode, encode
from models.types import LABELS, Draft, Prediction
from tests.property.strategies import HOSTILE_TEXT, JSON_TEXTS, JSON_VALUES

SLACK_ID = st.from_regex(r"[CDGTUW][A-Z0-9]{2,12}", fullmatch=True)
SLACK_TS = st.from_regex(r"[0-9]{10}\.[0-9]{6}", fullmatch=True)
# Finite floats only: NaN is not equal to itself, and the bot never stores one.
PLAIN_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
WHERE = st.fixed_dictionaries({"c": SLACK_ID, "ts": SLACK_TS, "team": SLACK_ID})


def button_values(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if "value" in element
    ]


def assert_kept(decoded: dict[str, Any], state: dict[str, Any]) -> None:
    """Same keys; ids and labels exact; a text either whole or a prefix ending in "…"."""
    assert decoded.keys() == state.keys()
    for key, value in state.items():
        if key in ("t", "m", "d") and decoded[key] != value:
            assert decoded[key].endswith("…") and value.startswith(decoded[key][:-1])
        else:
            assert decoded[key] == value


@given(raw=st.one_of(HOSTILE_TEXT, JSON_TEXTS, JSON_VALUES))
def test_decode_of_anything_is_a_dict(raw: Any) -> None:
    assert isinstance(decode(raw), dict)


@given(
    state=st.dictionaries(st.text(max_size=8), PLAIN_JSON, max_size=6),
    limit=st.sampled_from([BUTTON_VALUE_LIMIT, METADATA_LIMIT]),
)
def test_encoded_state_decodes_to_itself_when_it_fits(state: dict[str, Any], limit: int) -> None:
    try:
        raw = encode(state, limit=limit)
    except ValueError:  # documented: nothing left to shorten
        return
    assert len(raw) <= limit
    decoded = decode(raw)
    assert decoded.keys() == state.keys()
    for key, value in state.items():
        if isinstance(value, str) and decoded[key] != value:
            assert decoded[key].endswith("…") and value.startswith(decoded[key][:-1])
        else:
            assert decoded[key] == value


@given(text=HOSTILE_TEXT, label=st.sampled_from(LABELS), where=WHERE)
def test_feedback_buttons_carry_the_label_and_the_message_back(
    text: str, label: str, where: dict[str, str]
) -> None:
    prediction = Prediction(label, 0.9, dict.fromkeys(LABELS, 1 / 3), "clf-test")
    alert = build_alert_blocks(
        channel_id=where["c"],
        user_id="U0CUST",
        text=text,
        prediction=prediction,
        permalink=None,
        feedback_state=where,
    )
    for blocks in (build_prediction_blocks(text, prediction, feedback_state=where), alert):
        values = button_values(blocks)
        assert len(values) == 2
        for value in values:
            assert len(value) <= BUTTON_VALUE_LIMIT
            assert_kept(decode(value), {"t": text, "l": label, **where})


@given(message=HOSTILE_TEXT, reply=HOSTILE_TEXT, where=WHERE)
def test_draft_buttons_and_the_edit_modal_carry_the_draft_back(
    message: str, reply: str, where: dict[str, str]
) -> None:
    state = {"m": message, "th": where["ts"], **where}
    draft = Draft(reply, "gen-test", None, 12.0)

    values = button_values(build_draft_blocks(draft, state))
    modal = build_draft_edit_modal({**state, "d": reply})

    assert len(values) == 4
    for value in values:
        assert len(value) <= BUTTON_VALUE_LIMIT
        assert_kept(decode(value), {**state, "d": reply})
    assert len(modal["private_metadata"]) <= METADATA_LIMIT
    assert_kept(decode(modal["private_metadata"]), {**state, "d": reply})


@given(text=HOSTILE_TEXT, label=st.sampled_from([*LABELS, None]), where=WHERE)
def test_the_relabel_modal_carries_its_message_back(
    text: str, label: str | None, where: dict[str, str]
) -> None:
    state = {"t": text, "l": label, **where}
    metadata = build_relabel_modal(state)["private_metadata"]
    assert len(metadata) <= METADATA_LIMIT
    assert_kept(decode(metadata), state)


@given(channel_id=SLACK_ID)
def test_the_mode_prompt_values_name_their_channel_and_a_mode(channel_id: str) -> None:
    values = button_values(build_mode_prompt_blocks(channel_id))
    parsed = [value.partition(":") for value in values]  # as handle_channel_mode_choose reads them
    assert [(channel, mode) for channel, _, mode in parsed] == [
        (channel_id, mode) for mode in (*MODES, "off")
    ]


@given(
    view=st.one_of(
        st.dictionaries(st.sampled_from(["state", "x"]), JSON_VALUES),
        st.builds(lambda values: {"state": {"values": values}}, JSON_VALUES),
        st.builds(
            lambda element: {"state": {"values": {"label": {"label": element}}}}, JSON_VALUES
        ),
    ),
    key=st.sampled_from(["value", "selected_option", "selected_conversation"]),
)
def test_field_value_of_a_view_of_any_shape_is_a_value_or_none(
    view: dict[str, Any], key: str
) -> None:
    field_value(view, "label", key)  # returns; any JSON value (or None) is fine


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ({"state": {"values": {"label": {"label": {"value": "hi"}}}}}, "hi"),
        ({"state": {"values": {"label": {"label": "hi"}}}}, None),
        ({"state": {"values": ["label"]}}, None),
        ({"state": [1]}, None),
    ],
)
def test_field_value_examples(view: dict[str, Any], expected: str | None) -> None:
    assert field_value(view, "label") == expected
