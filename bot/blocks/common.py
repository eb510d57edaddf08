"""Small Block Kit pieces shared by the builders."""

from __future__ import annotations

import re
from typing import Any

Block = dict[str, Any]
SECTION_TEXT_LIMIT = 3000

# The only entities Slack decodes in mrkdwn; text from message events already uses them.
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150] or " ", "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text)}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text), "action_id": action_id}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def note_input(max_length: int) -> Block:
    """An optional multi-line "Note" input (block and action id `note`) for a modal."""
    return {
        "type": "input",
        "block_id": "note",
        "optional": True,
        "label": plain("Note (optional)"),
        "element": {
            "type": "plain_text_input",
            "action_id": "note",
            "multiline": True,
            "max_length": max_length,
        },
    }


def escape_mrkdwn(text: str) -> str:
    """`text` typed by someone else, made safe to echo in mrkdwn.

    Slack parses `<...>` in mrkdwn (`<!channel>`, `<@U123>`, `<#C123>`, `<https://x|label>`), so
    `<` and `>` become `&lt;` and `&gt;`, and a bare `&` becomes `&amp;`. An `&amp;`, `&lt;` or
    `&gt;` already there is kept: message events arrive with Slack's own escaping, which must not
    be doubled (a customer's `a < b` would show as `a &lt; b`). Use it on customer messages,
    drafts and anything else users typed; never on links and mentions the bot composes.

    Example:
        >>> escape_mrkdwn("<!channel> refund & <https://evil.example|here>")
        '&lt;!channel&gt; refund &amp; &lt;https://evil.example|here&gt;'
    """
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten mrkdwn `text` to `limit` characters, marking the cut.

    The cut never splits an entity (`&amp;`) or a `<...>` link or mention the bot composed.
    """
    if len(text) <= limit:
        return text
    cut = limit - 1
    amp = text.rfind("&", max(0, cut - 4), cut)
    entity = _ENTITY.match(text, amp) if amp != -1 else None
    if entity and entity.end() > cut:
        cut = amp
    opened = text.rfind("<", 0, cut)
    if opened != -1 and text.find(">", opened, cut) == -1:
        cut = opened
    return text[:cut] + "…"


def quote(text: str, limit: int = 300) -> str:
    """A one-paragraph mrkdwn quote of user text, escaped, at most `limit` characters after `> `."""
    flat = " ".join(text.split())
    return "> " + clip(escape_mrkdwn(flat), limit) if flat else "> _(no text)_"


def confidence_bar(value: float, width: int = 10) -> str:
    """`value` in [0, 1] as a bar of filled and empty squares, e.g. ▓▓▓▓▓▓▓░░░."""
    filled = max(0, min(width, round(value * width)))
    return "▓" * filled + "░" * (width - filled)
