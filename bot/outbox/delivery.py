"""Delivering one claimed outbox row: render it if need be, respect pacing, call Slack.

`alert` and `digest` rows are rendered here, at send time: an alert from its payload, a digest
from the database (every alert folded into it so far), with permalinks asked of Slack.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient

from bot.blocks.digest import build_digest_blocks, build_digest_text
from bot.blocks.triage import build_alert_blocks, build_alert_text
from bot.outbox.calls import call_slack, respond
from bot.outbox.clients import ClientSource
from bot.outbox.outcomes import Outcome
from bot.outbox.pacing import Holds, Pacer
from bot.outbox.permalinks import Permalinks
from models.types import Prediction
from storage import repositories as repo
from storage.database import Database
from storage.records import OutboxRecord

logger = logging.getLogger(__name__)


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
        p = row.payload
        channel_id, message_ts = str(p["channel_id"]), str(p["message_ts"])
        link = self.permalinks.get(
            client, team_id=row.team_id, channel_id=channel_id, message_ts=message_ts
        )
        text = str(p.get("text") or "")
        prediction = Prediction(str(p["label"]), float(p["confidence"]), {}, "")
        args = {
            "channel": row.channel_id,
            "text": build_alert_text(channel_id=channel_id, text=text),
            "blocks": build_alert_blocks(
                channel_id=channel_id,
                user_id=str(p["user_id"]),
                text=text,
                prediction=prediction,
                permalink=link,
                feedback_state={"c": channel_id, "ts": message_ts, "team": row.team_id},
            ),
            "unfurl_links": False,
        }
        return self._paced(client, row, "chat.postMessage", args, holds)

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
        args: dict[str, Any] = {
            "channel": digest.escalation_channel,
            "text": build_digest_text(digest),
            "blocks": build_digest_blocks(digest, links),
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
