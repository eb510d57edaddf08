"""What a case action does, apart from Bolt: change the case (storage writes the alert's update
into the outbox in the same transaction), tell the person who clicked, DM an assignee, and
resolve a case when an agent answers in the customer's thread.

The workspace is always the signed one: a case id of another workspace is "not found".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.auto_triage import is_external_author, is_new_human_message
from bot.blocks.cases import build_assigned_text
from bot.outbox.calls import permalink
from bot.payloads import decode
from bot.services import Services
from storage import repositories as repo
from storage.errors import NotFound
from storage.repositories import CaseChange, OutboxWrite

logger = logging.getLogger(__name__)

NOT_FOUND = "I can't find that case in this workspace. The alert may be too old."
WITHDRAWN = "The customer deleted this message, so its case is closed."
UNCHANGED = {
    "acknowledge": "Already acknowledged by <@{by}>.",
    "assign": "<@{assignee}> already has this case.",
    "resolve": "This case is already resolved.",
    "reopen": "This case is not resolved, so there is nothing to reopen.",
}
DONE = {
    "acknowledge": "You acknowledged this case.",
    "assign": "Assigned to <@{assignee}>; they got a DM.",
    "resolve": "Resolved.",
    "reopen": "Reopened.",
}

Change = Callable[[], CaseChange]


def alert_quote(body: dict[str, Any]) -> str | None:
    """The customer's words as the clicked alert shows them (its feedback buttons carry them),
    so the alert keeps its quote when updated; None when the alert quotes nothing."""
    message = body.get("message")
    blocks = message.get("blocks") if isinstance(message, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("block_id") == "feedback":
            for element in block.get("elements") or []:
                text = decode(element.get("value") if isinstance(element, dict) else None).get("t")
                if isinstance(text, str) and text:
                    return text
    return None


def change_case(services: Services, what: str, change: Change) -> str:
    """Run one case change; the line to show the person who asked (never raises NotFound)."""
    try:
        result = change()
    except NotFound:
        logger.info("case %s refused: no such case in the signed workspace", what)
        return NOT_FOUND
    case = result.case
    names = {"by": case.acknowledged_by or "someone", "assignee": case.assignee_id or ""}
    if not result.changed:
        return WITHDRAWN if case.state == "withdrawn" else UNCHANGED[what].format(**names)
    if services.outbox is not None:
        services.outbox.kick()
    return DONE[what].format(**names)


def assign(
    services: Services,
    client: WebClient,
    *,
    team_id: str,
    case_id: int,
    user_id: str,
    assignee_id: str,
    quote: str | None,
    alert_at: tuple[str, str] | None,
) -> str:
    """Give the case to `assignee_id` and DM them a link to the alert (`alert_at`: channel and
    ts of the clicked message)."""
    link = permalink(client, *alert_at) if alert_at else None
    case = repo.get_case(services.db, team_id=team_id, case_id=case_id)
    dm: list[OutboxWrite] = []
    if case is not None:
        dm.append(
            OutboxWrite(
                key=f"case-assign:{team_id}:{case_id}:{assignee_id}:{case.updated_at.timestamp()}",
                method="chat.postMessage",
                team_id=team_id,
                channel_id=assignee_id,
                payload={
                    "channel": assignee_id,
                    "text": build_assigned_text(case, by=user_id, permalink=link),
                },
                expires_in=services.settings.jobs.outbox_expiry_seconds,
            )
        )
    return change_case(
        services,
        "assign",
        lambda: repo.assign_case(
            services.db,
            team_id=team_id,
            case_id=case_id,
            user_id=user_id,
            assignee_id=assignee_id,
            text=quote,
            notify=dm,
        ),
    )


def resolve_on_agent_reply(services: Services, *, team_id: str, event: dict[str, Any]) -> bool:
    """Resolve the case of the customer's message when someone of the team (not the customer,
    not a bot) replies in its thread and the channel resolves on reply. True if it did."""
    thread_ts, channel_id = event.get("thread_ts"), str(event.get("channel") or "")
    if not thread_ts or thread_ts == event.get("ts") or not channel_id:
        return False
    if not is_new_human_message(event) or is_external_author(event, home_team_id=team_id):
        return False
    settings = repo.get_channel_settings(services.db, team_id=team_id, channel_id=channel_id)
    if settings is None or not settings.auto_resolve_on_reply:
        return False
    case = repo.case_of_message(
        services.db, team_id=team_id, channel_id=channel_id, message_ts=str(thread_ts)
    )
    agent = str(event["user"])
    if case is None or case.state == "resolved" or agent == case.customer_id:
        return False
    result = repo.resolve_case(
        services.db, team_id=team_id, case_id=case.id, user_id=agent, automatic=True
    )
    if result.changed and services.outbox is not None:
        services.outbox.kick()
    return result.changed
