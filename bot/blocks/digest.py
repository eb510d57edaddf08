"""The digest of a burst of alerts: one message naming every upset customer, updated in place."""

from __future__ import annotations

from collections.abc import Mapping

from bot.blocks.cases import build_case_menu, build_case_state_text
from bot.blocks.common import SECTION_TEXT_LIMIT, Block, clip, context, escape_mrkdwn, section
from storage.records import AlertRecord, CaseRecord, DigestRecord

QUOTE_LIMIT = 120


def build_digest_blocks(
    digest: DigestRecord,
    permalinks: Mapping[int, str | None],
    cases: Mapping[int, CaseRecord] | None = None,
) -> list[Block]:
    """Every alert of `digest`, one line each with a link to the message (by alert id).

    A line whose alert has a case (`cases`, by alert id) shows its state and carries the case
    actions in an overflow menu: one section a line (a digest holds at most 40 alerts, within
    Slack's 50 blocks). Without cases, lines are packed into as few sections as Slack's 3,000
    characters a section allow.
    """
    count = len(digest.alerts)
    blocks: list[Block] = [
        section(
            f":rotating_light: *{count} upset customer{'s' if count != 1 else ''}* in a burst. "
            "This message is updated as more arrive."
        )
    ]
    chunk: list[str] = []
    for alert in digest.alerts:
        line = build_digest_line(alert, permalinks.get(alert.id))
        case = (cases or {}).get(alert.id)
        if case is not None:
            block = section(f"{line}\n    {build_case_state_text(case)}")
            menu = build_case_menu(case)
            blocks.append(block if menu is None else {**block, "accessory": menu})
            continue
        if chunk and len("\n".join([*chunk, line])) > SECTION_TEXT_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    blocks.append(context("Use the menus to take a case, or open a message to answer it."))
    return blocks


def build_digest_line(alert: AlertRecord, permalink: str | None) -> str:
    """One upset message: where, who, how sure, a link (or channel and ts), its text if kept."""
    link = (
        f"<{permalink}|open the message>"
        if permalink
        else f"message `{escape_mrkdwn(alert.message_ts)}` in <#{alert.channel_id}>"
    )
    line = (
        f"• <#{alert.channel_id}> from <@{alert.user_id}> "
        f"({alert.label}, {alert.confidence:.0%}): {link}"
    )
    if alert.text:
        flat = " ".join(alert.text.split())
        line += f"\n    _{clip(escape_mrkdwn(flat), QUOTE_LIMIT)}_" if flat else ""
    return line


def build_digest_text(digest: DigestRecord) -> str:
    """The notification fallback: how many, and in which channels."""
    channels = sorted({alert.channel_id for alert in digest.alerts})
    where = ", ".join(f"<#{channel}>" for channel in channels[:5])
    return f"{len(digest.alerts)} upset customers in {where}"
