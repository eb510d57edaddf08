"""The relabel modal and the short confirmations users see after giving feedback."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, context, note_input, plain, quote, section
from bot.payloads import METADATA_LIMIT, encode

LABELS = ("negative", "neutral", "positive")
RELABEL_CALLBACK = "relabel_submit"


def _option(label: str) -> dict[str, Any]:
    return {"text": plain(label), "value": label}


def build_relabel_modal(state: dict[str, Any]) -> dict[str, Any]:
    """A modal asking for the right label and an optional note.

    Args:
        state: the message being corrected: `t` text, `l` predicted label, `c` channel, `ts`, `team`.
    """
    label_element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": "label",
        "options": [_option(x) for x in LABELS],
    }
    predicted = state.get("l")
    others = [x for x in LABELS if x != predicted]
    if predicted in LABELS and others:
        label_element["initial_option"] = _option(others[0])
    blocks: list[Block] = [
        section(f"Which label fits this message?\n{quote(str(state.get('t', '')))}"),
    ]
    if predicted:
        blocks.append(context(f"The model said *{predicted}*."))
    blocks += [
        {
            "type": "input",
            "block_id": "label",
            "label": plain("Right label"),
            "element": label_element,
        },
        note_input(max_length=500),
    ]
    return {
        "type": "modal",
        "callback_id": RELABEL_CALLBACK,
        "title": plain("Correct the label"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": encode(state, limit=METADATA_LIMIT),
        "blocks": blocks,
    }


def build_feedback_done_modal(label: str) -> dict[str, Any]:
    """The view a relabel modal turns into once saved."""
    return {
        "type": "modal",
        "title": plain("Thanks"),
        "close": plain("Close"),
        "blocks": [
            section(f":white_check_mark: Saved as *{label}*. It will be used for retraining.")
        ],
    }


def build_feedback_confirmation_text(label: str, *, confirmed: bool) -> str:
    """One line confirming a feedback button click."""
    if confirmed:
        return f":white_check_mark: Thanks, recorded that *{label}* is right."
    return f":white_check_mark: Thanks, recorded *{label}* as the right label."
