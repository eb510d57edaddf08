"""Case actions on alerts and digest lines: Acknowledge, Assign, Resolve (with a note), Reopen.

Each answers the person who clicked ephemerally; the alert itself is updated in place by the
outbox. The workspace is the signed one (`signed_team`), never a value from the payload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks.cases import (
    ASSIGN_CALLBACK,
    RESOLVE_CALLBACK,
    build_assign_modal,
    build_resolve_modal,
    case_id_of_block,
    modal_case,
)
from bot.case_actions import NOT_FOUND, alert_quote, assign, change_case
from bot.listeners.actions import refuse_outsider, signed_team, tell
from bot.listeners.errors import guarded
from bot.listeners.modals import field_value
from bot.services import Services
from storage import repositories as repo
from storage.repositories import CaseChange

logger = logging.getLogger(__name__)

OUTSIDERS = "Only members of the workspace that installed triagebot can work on cases."


def _case_id(raw: object) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 19 else None


def _where(body: dict[str, Any]) -> tuple[str, str] | None:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (str(channel), str(ts)) if channel and ts else None


def register(app: App, services: Services) -> None:
    """Add the case action and modal listeners."""

    def act(
        what: str,
        case_id: int | None,
        body: dict[str, Any],
        context: BoltContext,
        *,
        quote: str | None,
        note: str | None = None,
    ) -> str:
        """Acknowledge, resolve (with `note`) or reopen `case_id` for the signed workspace."""
        if case_id is None:
            return NOT_FOUND
        changes: dict[str, Callable[..., CaseChange]] = {
            "acknowledge": repo.acknowledge_case,
            "resolve": partial(repo.resolve_case, note=note),
            "reopen": repo.reopen_case,
        }
        change = changes[what]
        return change_case(
            services,
            what,
            lambda: change(
                services.db,
                team_id=str(signed_team(context)),
                case_id=case_id,
                user_id=body["user"]["id"],
                text=quote,
            ),
        )

    @app.action("case_acknowledge")
    @app.action("case_reopen")
    @guarded
    def handle_case_acknowledge_or_reopen(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        respond: Respond,
    ) -> None:
        """Acknowledge a case (a second click changes nothing) or reopen a resolved one."""
        ack()
        if refuse_outsider(body, context, respond, OUTSIDERS):
            return
        what = str(action["action_id"]).removeprefix("case_")
        tell(
            respond,
            act(what, _case_id(action.get("value")), body, context, quote=alert_quote(body)),
        )

    @app.action("case_resolve")
    @guarded
    def handle_case_resolve(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Open the resolve modal (an optional note)."""
        ack()
        case_id = _case_id(action.get("value"))
        if case_id is None:
            return tell(respond, NOT_FOUND)
        if refuse_outsider(body, context, respond, OUTSIDERS):
            return
        view = build_resolve_modal(case_id, alert_quote(body))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action("case_assign")
    @guarded
    def handle_case_assign(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Assign the case to the user picked in the alert's select; DM them."""
        ack()
        case_id, assignee = case_id_of_block(action.get("block_id")), action.get("selected_user")
        if refuse_outsider(body, context, respond, OUTSIDERS):
            return
        if case_id is None or not assignee:
            return tell(respond, NOT_FOUND)
        line = assign(
            services,
            client,
            team_id=str(signed_team(context)),
            case_id=case_id,
            user_id=body["user"]["id"],
            assignee_id=str(assignee),
            quote=alert_quote(body),
            alert_at=_where(body),
        )
        tell(respond, line)

    @app.action("case_menu")
    @guarded
    def handle_case_menu(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """A digest line's menu: acknowledge or reopen at once, or open the resolve / assign
        modal."""
        ack()
        value = str((action.get("selected_option") or {}).get("value") or "")
        what, _, raw_id = value.partition(":")
        case_id = _case_id(raw_id)
        if refuse_outsider(body, context, respond, OUTSIDERS):
            return
        if case_id is None or what not in ("acknowledge", "assign", "resolve", "reopen"):
            return tell(respond, NOT_FOUND)
        if what in ("acknowledge", "reopen"):
            return tell(respond, act(what, case_id, body, context, quote=alert_quote(body)))
        build = build_resolve_modal if what == "resolve" else build_assign_modal
        client.views_open(trigger_id=body["trigger_id"], view=build(case_id, None, _where(body)))

    @app.view(RESOLVE_CALLBACK)
    @guarded
    def handle_case_resolve_submit(
        ack: Ack, view: dict[str, Any], body: dict[str, Any], context: BoltContext
    ) -> None:
        """Resolve the case with the note typed (if any)."""
        ack()
        case_id, quote, _ = modal_case(view.get("private_metadata"))
        note = str(field_value(view, "note") or "").strip()[:2000] or None
        act("resolve", case_id, body, context, quote=quote, note=note)

    @app.view(ASSIGN_CALLBACK)
    @guarded
    def handle_case_assign_submit(
        ack: Ack,
        view: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
    ) -> None:
        """Assign the case (from a digest line) to the user picked in the modal."""
        assignee = field_value(view, "assignee", "selected_user")
        if not assignee:
            ack(response_action="errors", errors={"assignee": "Pick someone."})
            return
        ack()
        case_id, quote, alert_at = modal_case(view.get("private_metadata"))
        if case_id is None:
            return
        assign(
            services,
            client,
            team_id=str(signed_team(context)),
            case_id=case_id,
            user_id=body["user"]["id"],
            assignee_id=str(assignee),
            quote=quote,
            alert_at=alert_at,
        )
