"""Delivering one claimed outbox row: render it if need be, respect pacing, call Slack.

`alert` and `digest` rows are rendered here, at send time: an alert from its payload, a digest
from the database (every alert folded into it so far), with permalinks asked of Slack. An
`alert_update` row re-renders a posted alert in place (`chat.update` of the ts its `alert` row
stored): with the edited text and new label, or, when the message was deleted, as a notice
that quotes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot.blocks.cases import alert_metadata, build_case_blocks, build_history_line
from bot.blocks.digest import build_digest_blocks, build_digest_text
from bot.blocks.triage import (
    build_alert_blocks,
    build_alert_text,
    build_withdrawn_alert_blocks,
    build_withdrawn_alert_text,
)
from bot.outbox.calls import call_slack, respond
from bot.outbox.clients import ClientSource
from bot.outbox.outcomes import Outcome
from bot.outbox.pacing import Holds, Pacer
from bot.outbox.permalinks import Permalinks
from models.types import Prediction
from storage import repositories as repo
from storage.database import Database
from storage.records import CaseRecord, OutboxRecord

logger = logging.getLogger(__name__)

# How long an alert update waits for its alert's own post (still pending) before looking again.
WAIT_FOR_POST_SECONDS = 1.0
HISTORY_WINDOW = timedelta(days=7)


class Deliverer:
    """Sends one row and says how it went; marks nothing (the sender does).

    Args:
        db: the database (digests are rendered from it; pacing lives in it).
        clients: Web API clients by team, without retry handlers.
        pacer: the pacing of channels and methods.
    """

    def __init__(self, db: Database, clients: ClientSource, pacer: Pacer) -> None:
        self.db = db
        self.clients = clients
        self.pacer = pacer
        self.permalinks = Permalinks()

    def deliver(self, row: OutboxRecord, holds: Holds) -> Outcome:
        """Try `row` once; `holds` (scope -> until) is updated with what this attempt learnt."""
        if row.method == "response_url":
            return respond(str(row.payload["url"]), dict(row.payload["body"]))
        client = self.clients.client_for(row.team_id)
        if client is None:
            return Outcome.failed("no_installation")
        if row.method == "alert":
            return self._alert(client, row, holds)
        if row.method == "alert_update":
            return self._alert_update(client, row, holds)
        if row.method == "digest":
            return self._digest(client, row, holds)
        return self._paced(client, row, row.method, dict(row.payload), holds)

    def _paced(
        self,
        client: WebClient,
        row: OutboxRecord,
        method: str,
        args: dict[str, Any],
        holds: Holds,
    ) -> Outcome:
        pace = self.pacer.pace_for(method, args.get("channel") or row.channel_id)
        if pace is not None:
            wait = self.pacer.wait(row.team_id, pace, holds)
            if wait > 0:
                return Outcome.deferred(wait)
        outcome = call_slack(client, method, args)
        if outcome.hold and pace is not None:
            self.pacer.hold(row.team_id, pace, outcome.wait or 1.0, holds)
        return outcome

    def _alert(self, client: WebClient, row: OutboxRecord, holds: Holds) -> Outcome:
        if row.payload.get("deleted"):
            return Outcome.sent()  # deleted before anyone saw the alert: nothing to post
        args = {**self._alert_message(client, row), "unfurl_links": False}
        return self._paced(client, row, "chat.postMessage", args, holds)

    def _alert_update(self, client: WebClient, row: OutboxRecord, holds: Holds) -> Outcome:
        """Update a posted alert in place, once its post is known (waits while it is pending)."""
        posted = repo.get_outbox_row(self.db, key=str(row.payload["alert_key"]))
        if posted is not None and posted.status == "pending":
            return Outcome.deferred(WAIT_FOR_POST_SECONDS)
        if posted is None or posted.status != "sent" or not posted.result_ts:
            return Outcome.sent()  # never shown in Slack: nothing to update
        args = {**self._alert_message(client, row), "ts": posted.result_ts}
        outcome = self._paced(client, row, "chat.update", args, holds)
        if outcome.reason == "message_not_found":
            return Outcome.sent()  # someone deleted the alert in Slack: nothing left to change
        return outcome

    def _alert_message(self, client: WebClient, row: OutboxRecord) -> dict[str, Any]:
        """The channel, text and blocks of an alert as its payload says (see `alerts._payload`)."""
        p = row.payload
        channel_id, message_ts = str(p["channel_id"]), str(p["message_ts"])
        user_id, text = str(p["user_id"]), str(p.get("text") or "")
        if p.get("deleted"):
            return {
                "channel": row.channel_id,
                "text": build_withdrawn_alert_text(channel_id=channel_id),
                "blocks": build_withdrawn_alert_blocks(
                    channel_id=channel_id, user_id=user_id, label=str(p["label"])
                ),
                "metadata": alert_metadata(
                    label=str(p["label"]),
                    confidence=float(p["confidence"]),
                    channel_id=channel_id,
                    message_ts=message_ts,
                    case=self._case(row),  # withdrawn now: other apps see it closed
                ),
            }
        link = self.permalinks.get(
            client, team_id=row.team_id, channel_id=channel_id, message_ts=message_ts
        )
        prediction = Prediction(str(p["label"]), float(p["confidence"]), {}, "")
        case = self._case(row)
        return {
            "channel": row.channel_id,
            "text": build_alert_text(channel_id=channel_id, text=text),
            "blocks": build_alert_blocks(
                channel_id=channel_id,
                user_id=user_id,
                text=text,
                prediction=prediction,
                permalink=link,
                feedback_state={"c": channel_id, "ts": message_ts, "team": row.team_id},
                edited=row.method == "alert_update" and not p.get("case_change"),
                quoted=p.get("quoted", True) is not False,
                history=None if case is None else self._history(case),
                case_blocks=[] if case is None else build_case_blocks(case),
            ),
            "metadata": alert_metadata(
                label=prediction.label,
                confidence=prediction.confidence,
                channel_id=channel_id,
                message_ts=message_ts,
                case=case,
            ),
        }

    def _case(self, row: OutboxRecord) -> CaseRecord | None:
        """The case of the alert `row` renders, as it is now."""
        alert_id = row.payload.get("alert_id")
        if row.team_id is None or not isinstance(alert_id, int):
            return None
        cases = repo.cases_of_alerts(self.db, team_id=row.team_id, alert_ids=[alert_id])
        return cases.get(alert_id)

    def _history(self, case: CaseRecord) -> str | None:
        """The customer's week as of the case ("3rd upset message ... in 7 days")."""
        history = repo.customer_history(
            self.db,
            team_id=case.team_id,
            customer_id=case.customer_id,
            customer_team=case.customer_team,
            since=case.created_at - HISTORY_WINDOW,
        )
        return build_history_line(history.negative_messages)

    def _digest(self, client: WebClient, row: OutboxRecord, holds: Holds) -> Outcome:
        digest = repo.get_digest(self.db, digest_id=int(row.payload["digest_id"]))
        if digest is None:
            return Outcome.failed("digest_missing")
        links = {
            alert.id: self.permalinks.get(
                client,
                team_id=row.team_id,
                channel_id=alert.channel_id,
                message_ts=alert.message_ts,
            )
            for alert in digest.alerts
        }
        cases = repo.cases_of_alerts(
            self.db, team_id=digest.team_id, alert_ids=[alert.id for alert in digest.alerts]
        )
        args: dict[str, Any] = {
            "channel": digest.escalation_channel,
            "text": build_digest_text(digest),
            "blocks": build_digest_blocks(digest, links, cases),
        }
        if digest.posted_ts is None:
            outcome = self._paced(
                client, row, "chat.postMessage", {**args, "unfurl_links": False}, holds
            )
        else:
            outcome = self._paced(
                client, row, "chat.update", {**args, "ts": digest.posted_ts}, holds
            )
            if outcome.kind == "sent":
                outcome = replace(outcome, result_ts=digest.posted_ts)
        return replace(outcome, version=digest.version)
