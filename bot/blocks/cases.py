"""Cases in Block Kit: the state and actions under an alert, a digest line's menu, the resolve
and assign modals, the assignee's DM, a follow-up, the daily summary and message metadata."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import (
    Block,
    actions,
    button,
    clip,
    context,
    escape_mrkdwn,
    note_input,
    plain,
    section,
)
from bot.payloads import METADATA_LIMIT, decode, encode
from storage.records import CaseRecord, CaseSummary

RESOLVE_CALLBACK = "case_resolve_submit"
ASSIGN_CALLBACK = "case_assign_submit"
CASE_BLOCK = "case"
METADATA_QUOTE = 2000  # what of the clicked alert's quote a modal carries back (private_metadata)
STATE_EMOJI = {
    "open": ":red_circle:",
    "acknowledged": ":eyes:",
    "resolved": ":white_check_mark:",
    "withdrawn": ":wastebasket:",
}


def build_case_state_text(case: CaseRecord) -> str:
    """One line: the state and who did what ("Acknowledged by @a · assigned to @b")."""
    parts = [f"{STATE_EMOJI.get(case.state, '')} *{case.state.capitalize()}*"]
    if case.state == "open":
        parts.append("nobody has acknowledged it yet")
    if case.state == "withdrawn":
        parts.append("the customer deleted the message")
    if case.acknowledged_by and case.state != "open":
        parts.append(f"acknowledged by <@{case.acknowledged_by}>")
    if case.assignee_id:
        parts.append(f"assigned to <@{case.assignee_id}>")
    if case.state == "resolved" and case.resolved_by:
        parts.append(f"resolved by <@{case.resolved_by}>")
    if case.followups:
        parts.append(f"raised again {case.followups}×")
    return " · ".join(parts)


def build_case_blocks(case: CaseRecord) -> list[Block]:
    """The case under a single alert: its state (and resolution note) and its actions (none for
    a withdrawn case)."""
    if case.state == "withdrawn":
        return [context(build_case_state_text(case))]
    value = str(case.id)
    elements: list[dict[str, Any]] = []
    if case.state == "open":
        elements.append(button("Acknowledge", "case_acknowledge", value, style="primary"))
    assign: dict[str, Any] = {
        "type": "users_select",
        "action_id": "case_assign",
        "placeholder": plain("Assign…"),
    }
    if case.assignee_id:
        assign["initial_user"] = case.assignee_id
    elements.append(assign)
    if case.state == "resolved":
        elements.append(button("Reopen", "case_reopen", value))
    else:
        elements.append(button("Resolve", "case_resolve", value))
    blocks = [context(build_case_state_text(case))]
    if case.resolution_note:
        blocks.append(context(f"Note: {clip(_escaped(case.resolution_note), 500)}"))
    blocks.append(actions(*elements, block_id=f"{CASE_BLOCK}:{case.id}"))
    return blocks


def case_id_of_block(block_id: str | None) -> int | None:
    """The case id in a case actions block id (`case:42`), else None."""
    prefix, _, rest = str(block_id or "").partition(":")
    return int(rest) if prefix == CASE_BLOCK and rest.isdigit() else None


def build_case_menu(case: CaseRecord) -> dict[str, Any] | None:
    """The overflow menu of a digest line: the same actions as a single alert's (None for a
    withdrawn case, which takes none)."""
    if case.state == "withdrawn":
        return None
    choices = [("assign", "Assign…")]
    if case.state == "open":
        choices.insert(0, ("acknowledge", "Acknowledge"))
    choices.append(("reopen", "Reopen") if case.state == "resolved" else ("resolve", "Resolve…"))
    return {
        "type": "overflow",
        "action_id": "case_menu",
        "options": [{"text": plain(text), "value": f"{what}:{case.id}"} for what, text in choices],
    }


AlertAt = tuple[str, str] | None  # the clicked message: (channel, ts)


def build_resolve_modal(
    case_id: int, quote: str | None, alert_at: AlertAt = None
) -> dict[str, Any]:
    """Resolve a case, with an optional note (the workspace comes from the signed submission).

    `quote`: the alert's words, so the alert keeps quoting them when updated.
    """
    return {
        "type": "modal",
        "callback_id": RESOLVE_CALLBACK,
        "private_metadata": _metadata(case_id, quote, alert_at),
        "title": plain("Resolve the case"),
        "submit": plain("Resolve"),
        "close": plain("Cancel"),
        "blocks": [note_input(max_length=2000)],
    }


def build_assign_modal(case_id: int, quote: str | None, alert_at: AlertAt = None) -> dict[str, Any]:
    """Pick who takes a case (from a digest line, where a select does not fit)."""
    return {
        "type": "modal",
        "callback_id": ASSIGN_CALLBACK,
        "private_metadata": _metadata(case_id, quote, alert_at),
        "title": plain("Assign the case"),
        "submit": plain("Assign"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "assignee",
                "label": plain("Assignee"),
                "element": {"type": "users_select", "action_id": "assignee"},
            }
        ],
    }


def _metadata(case_id: int, quote: str | None, alert_at: AlertAt) -> str:
    state: dict[str, Any] = {"case": case_id}
    if alert_at is not None:
        state["at"] = list(alert_at)
    if quote is not None:
        state["q"] = quote[:METADATA_QUOTE]
    return encode(state, limit=METADATA_LIMIT)


def modal_case(private_metadata: str | None) -> tuple[int | None, str | None, AlertAt]:
    """What a case modal carries: the case id (None when unreadable), the alert's quote and the
    clicked message."""
    state = decode(private_metadata)
    case_id, quote, at = state.get("case"), state.get("q"), state.get("at")
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        return None, None, None
    where = (at[0], at[1]) if isinstance(at, list) and len(at) == 2 else None
    if where is not None and not all(isinstance(part, str) and part for part in where):
        where = None
    return case_id, quote if isinstance(quote, str) else None, where


def build_assigned_text(case: CaseRecord, *, by: str, permalink: str | None) -> str:
    """The assignee's DM: who gave them which case, with a link to the alert."""
    link = f"<{permalink}|the alert>" if permalink else f"the alert in <#{case.escalation_channel}>"
    return (
        f":inbox_tray: <@{by}> assigned you an upset customer's case from <#{case.channel_id}>:"
        f" see {link}."
    )


def build_followup_text(case: CaseRecord, *, minutes: int, mentions: list[str]) -> str:
    """The thread reply that raises an unacknowledged case again."""
    who = " ".join(mentions) or "Anyone"
    return (
        f":bell: {who}: this upset customer in <#{case.channel_id}> has waited over {minutes}"
        " minutes and nobody has acknowledged it yet."
    )


def build_history_line(negative_messages: int) -> str | None:
    """The customer's week ("3rd upset message from this customer in 7 days"); None for the
    first."""
    if negative_messages < 2:
        return None
    return f":repeat: {_ordinal(negative_messages)} upset message from this customer in 7 days."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def build_summary_text(summary: CaseSummary) -> str:
    """The daily summary of one escalation channel's cases."""
    withdrawn = f" · withdrawn: {summary.withdrawn}" if summary.withdrawn else ""
    lines = [
        ":bar_chart: *Cases, last 24 hours*",
        f"• new: {summary.opened} · resolved: {summary.resolved}{withdrawn} · still open:"
        f" {summary.still_open} ({summary.unacknowledged} not acknowledged)",
        f"• median time to acknowledge: {_duration(summary.median_ack_seconds)} · to resolve:"
        f" {_duration(summary.median_resolve_seconds)}",
    ]
    if summary.negative_share:
        shares = ", ".join(
            f"<#{channel}> {share:.0%}" for channel, share in sorted(summary.negative_share.items())
        )
        lines.append(f"• negative messages this week: {shares}")
    return "\n".join(lines)


def build_summary_blocks(summary: CaseSummary) -> list[Block]:
    return [section(build_summary_text(summary))]


def alert_metadata(
    *, label: str, confidence: float, channel_id: str, message_ts: str, case: CaseRecord | None
) -> dict[str, Any]:
    """Message metadata of an alert (`triage_alert`), for other apps and workflows to read."""
    payload: dict[str, Any] = {
        "label": label,
        "confidence": round(confidence, 4),
        "channel": channel_id,
        "ts": message_ts,
    }
    if case is not None:
        payload.update(case_id=case.id, case_state=case.state)
    return {"event_type": "triage_alert", "event_payload": payload}


def _escaped(text: str) -> str:
    return escape_mrkdwn(" ".join(text.split()))
