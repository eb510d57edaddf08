"""Small Block Kit pieces shared by the builders."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]
SECTION_TEXT_LIMIT = 3000


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


def clip(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str, limit: int = 300) -> str:
    """A one-paragraph mrkdwn quote of user text."""
    flat = " ".join(text.split())
    return "> " + clip(flat, limit) if flat else "> _(no text)_"


def confidence_bar(value: float, width: int = 10) -> str:
    """`value` in [0, 1] as a bar of filled and empty squares, e.g. ▓▓▓▓▓▓▓░░░."""
    filled = max(0, min(width, round(value * width)))
    return "▓" * filled + "░" * (width - filled)
