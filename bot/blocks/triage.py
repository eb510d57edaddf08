"""Help, status, escalation alerts and channel-mode prompts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks.common import (
    Block,
    actions,
    button,
    clip,
    context,
    escape_mrkdwn,
    quote,
    section,
)
from bot.payloads import encode
from models.types import Prediction

MODES = ("tag", "alert", "suggest")
NOT_QUOTED = "> _(not quoted again: this channel keeps no text; open the message)_"
MODE_HELP = {
    "tag": "react with the sentiment emoji",
    "alert": "react, and alert the escalation channel about upset customers",
    "suggest": "react, alert, and draft replies in the thread",
}


def build_help_text(commands: dict[str, str]) -> str:
    """Usage of every command, named as configured."""
    s, d, t = commands["sentiment"], commands["draft"], commands["triage"]
    return "\n".join(
        [
            "*triagebot* tags support messages by sentiment, alerts on upset customers and drafts replies.",
            f"• `{s} TEXT`: classify a text (negative / neutral / positive)",
            f"• `{d} TEXT`: suggest a reply to a customer message",
            f"• `{t} help`: this help",
            f"• `{t} status`: model versions, last training, feedback counts",
            f"• `{t} channel on [tag|alert|suggest]` / `{t} channel off`: automatic triage here"
            " (admins)",
            f"• `{t} retrain`, `{t} promote VERSION`, `{t} rollback [classifier|generator]`: admins",
            "In threads, use the message shortcuts: _Classify this message_, _Draft a reply_, "
            "_Correct the label_.",
        ]
    )


def build_usage_text(command: str, usage: str) -> str:
    """One line of usage for a command called without what it needs."""
    return f"Usage: `{command} {usage}`"


def build_status_blocks(lines: list[str]) -> list[Block]:
    """The `/triage status` answer."""
    return [section("*triagebot status*\n" + "\n".join(f"• {line}" for line in lines))]


def build_alert_blocks(
    *,
    channel_id: str,
    user_id: str,
    text: str,
    prediction: Prediction,
    permalink: str | None,
    feedback_state: dict[str, Any],
    edited: bool = False,
    quoted: bool = True,
    history: str | None = None,
    case_blocks: Sequence[Block] = (),
) -> list[Block]:
    """An escalation alert about a confident negative message, with a link to it.

    `edited`: the author edited the message; the alert shows the new text and label.
    `quoted`: False when the text is not known any more (a channel that keeps no text, the
    alert rendered again later). `history`: the customer's week; `case_blocks`: the case's
    state and actions (`bot.blocks.cases`).
    """
    value = encode({"t": text, "l": prediction.label, **feedback_state})
    shown = quote(text) if quoted else NOT_QUOTED
    blocks = [
        section(
            f":rotating_light: Upset customer in <#{channel_id}> from <@{user_id}> "
            f"({prediction.label}, {prediction.confidence:.0%}): {_link(permalink)}\n{shown}"
        ),
        actions(
            button("Correct", "feedback_correct", value),
            button("Wrong label", "feedback_wrong", value),
            block_id="feedback",
        ),
    ]
    if edited:
        blocks.append(context(f"Edited by its author, then classified again: {prediction.label}."))
    if history:
        blocks.append(context(history))
    blocks.extend(case_blocks)
    return blocks


def build_withdrawn_alert_blocks(*, channel_id: str, user_id: str, label: str) -> list[Block]:
    """What replaces an alert whose message its author deleted: no quote, no buttons (their
    values carry the text)."""
    return [
        section(
            f":wastebasket: The message from <@{user_id}> in <#{channel_id}> that this alert was"
            f" about ({label}) was deleted by its author, so it is no longer quoted here."
        )
    ]


def build_withdrawn_alert_text(*, channel_id: str) -> str:
    """The notification fallback of a withdrawn alert (no words of the customer)."""
    return f"Alert withdrawn: the message in <#{channel_id}> was deleted by its author"


def _link(permalink: str | None) -> str:
    return f"<{permalink}|open the message>" if permalink else "(no link available)"


def build_alert_text(*, channel_id: str, text: str) -> str:
    """The notification fallback of an alert: where, and the start of the message (escaped)."""
    flat = " ".join(text.split())
    return f"Upset customer in <#{channel_id}>: {clip(escape_mrkdwn(flat), 150)}"


def build_mode_prompt_blocks(channel_id: str) -> list[Block]:
    """Asks how the bot should work in `channel_id`; only an admin's answer is stored."""
    elements = [
        button(mode.capitalize(), "channel_mode_choose", f"{channel_id}:{mode}") for mode in MODES
    ]
    elements.append(button("Off", "channel_mode_choose", f"{channel_id}:off"))
    lines = "\n".join(f"• *{mode}*: {MODE_HELP[mode]}" for mode in MODES)
    return [
        section(f"Thanks for inviting me to <#{channel_id}>. How should I work here?\n{lines}"),
        actions(*elements, block_id="channel_mode"),
        context(
            "A workspace admin picks; admins can change it later with"
            " `/triage channel on|off [mode]` or in my App Home."
        ),
    ]


def build_channel_settings_modal() -> dict[str, Any]:
    """A modal to turn automatic triage on or off in a channel (App Home)."""

    def option(value: str, text: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text}, "value": value}

    mode_options = [option(m, f"{m}: {MODE_HELP[m]}"[:75]) for m in MODES] + [option("off", "off")]
    privacy = [
        option("ids_only", "ids, labels, scores only"),
        option("store_text", "also store text"),
    ]
    return {
        "type": "modal",
        "callback_id": "channel_settings_submit",
        "title": {"type": "plain_text", "text": "Channel settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("channel", "Channel", {"type": "conversations_select", "action_id": "channel"}),
            _input(
                "mode",
                "Mode",
                {
                    "type": "static_select",
                    "action_id": "mode",
                    "options": mode_options,
                    "initial_option": mode_options[1],
                },
            ),
            _input(
                "privacy",
                "Privacy",
                {
                    "type": "static_select",
                    "action_id": "privacy",
                    "options": privacy,
                    "initial_option": privacy[0],
                },
            ),
            _input(
                "escalation",
                "Escalation channel",
                {"type": "conversations_select", "action_id": "escalation"},
                optional=True,
            ),
            *build_case_settings_inputs(),
        ],
    }


def build_case_settings_inputs() -> list[Block]:
    """The channel's case settings: response target, auto-resolve, on-call user group."""
    auto = {
        "text": {"type": "plain_text", "text": "An agent's thread reply resolves the case"},
        "value": "on",
    }
    return [
        _input(
            "target",
            "Response target (minutes; empty: no follow-up)",
            {
                "type": "number_input",
                "action_id": "target",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "10080",
            },
            optional=True,
        ),
        _input(
            "auto_resolve",
            "Auto-resolve",
            {"type": "checkboxes", "action_id": "auto_resolve", "options": [auto]},
            optional=True,
        ),
        _input(
            "oncall",
            "On-call user group id for follow-ups (e.g. S0123ABCD; empty: the admins)",
            {"type": "plain_text_input", "action_id": "oncall", "max_length": 64},
            optional=True,
        ),
    ]


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }
