"""`Outbox`: the job handlers' Slack writes, each stored as an outbox row and sent by the sender.

Implements `bot.jobs.runtime.SlackOutbox`. Nothing here calls Slack: a write is a row (keyed, so
a redelivered job writes nothing twice), and this process's `OutboxSender` is kicked to send it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.jobs.types import ClassifiedMessage
from bot.outbox.clients import ClientSource
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from storage import repositories as repo
from storage.database import Database
from storage.repositories import AlertWrite, OutboxWrite

if TYPE_CHECKING:
    from bot.jobs.types import TriageJob
    from models.types import Prediction

logger = logging.getLogger(__name__)

RESPONSE_URL_EXPIRY_SECONDS = 1800.0  # Slack honours a response_url for 30 minutes
ALERT_MODES = ("alert", "suggest")


def reaction_key(team_id: str, channel_id: str, ts: str) -> str:
    return f"react:{team_id}:{channel_id}:{ts}"


def swap_keys(team_id: str, channel_id: str, ts: str, edit_id: str) -> tuple[str, str]:
    """The outbox keys of the reaction swap after one edit: (remove the old, add the new)."""
    suffix = f"{team_id}:{channel_id}:{ts}:edit:{edit_id}"
    return f"unreact:{suffix}", f"react:{suffix}"


class Outbox:
    """Slack writes as outbox rows, delivered by a sender this object owns (when given clients).

    Args:
        db: where the rows go (the decision's own transaction, for triage).
        settings: emoji, alert threshold, escalation channel, admins, digest and outbox settings.
        clients: Web API clients by team (`bot.slack_api.SlackClients`); None: rows are stored
            but this process sends nothing (another process's sender will).
        sender: a sender to use instead of building one (tests).

    Example:
        >>> outbox = Outbox(db, settings, SlackClients(settings.slack))  # doctest: +SKIP
        >>> outbox.start()  # the sender thread  # doctest: +SKIP
        >>> outbox.post(key="k", team_id="T1", channel_id="C1", text="hi")  # doctest: +SKIP
        >>> outbox.stop()  # doctest: +SKIP
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clients: ClientSource | None = None,
        *,
        sender: OutboxSender | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        jobs = settings.jobs
        if sender is None and clients is not None:
            sender = OutboxSender(
                db,
                clients,
                threads=jobs.outbox_threads,
                sweep_seconds=jobs.outbox_sweep_seconds,
            )
        self.sender = sender

    def start(self) -> None:
        """Start delivering (the sender's thread), if this outbox has a sender."""
        if self.sender is not None:
            self.sender.start()

    def stop(self) -> None:
        """Stop delivering; rows left are sent by the next sender to start."""
        if self.sender is not None:
            self.sender.stop()

    def kick(self) -> None:
        """Send what a listener just stored (a case change's `chat.update`) without waiting for
        the sender's next sweep."""
        self._kick()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every row is delivered or given up; False if some are pending at `timeout`.

        Without a started sender it only says whether anything is pending.
        """
        if self.sender is None:
            return repo.count_pending(self.db) == 0
        return self.sender.wait_idle(timeout)

    # ---- SlackOutbox
    def record_triages(self, messages: Sequence[ClassifiedMessage]) -> list[bool | Exception]:
        """Store each prediction with its reaction (and alert), all in one transaction.

        In a Slack Connect channel (`job.shared`) no reaction is written: the customer's
        organisation would see it on their own message. The alert still goes to the escalation
        channel, which is taken to be internal (unless it is the shared channel itself).

        Each result is True when the message was new, False when it was recorded before (then
        nothing is written), or the error that refused it (see `repo.record_predictions`).
        """
        results = repo.record_predictions(self.db, [self._prediction(*m) for m in messages])
        if any(result is True for result in results):
            self._kick()
        return results

    def record_triage(self, job: TriageJob, prediction: Prediction, *, latency_ms: float) -> bool:
        """`record_triages` for one message; raises what refused it."""
        (result,) = self.record_triages([ClassifiedMessage(job, prediction, latency_ms)])
        if isinstance(result, Exception):
            raise result
        return result

    def record_edit(self, job: TriageJob, prediction: Prediction, *, latency_ms: float) -> bool:
        """Store an edited message's new prediction once, with its Slack writes.

        When the label changed, the message's reaction is swapped (`reactions.remove` of the
        old emoji, `reactions.add` of the new, keyed by the edit), except in a Slack Connect
        channel, which gets no reaction. Its alert is updated in place, or raised when the
        message became a confident negative (see `repo.record_edit`). Returns False when
        nothing changed: an edit applied before, a message never triaged or deleted since.
        """
        edit = repo.PredictionEdit(
            team_id=job.team_id,
            channel_id=job.channel_id,
            message_ts=job.ts,
            edit_id=str(job.edited_ts),
            label=prediction.label,
            confidence=prediction.confidence,
            scores=dict(prediction.scores),
            model_version=prediction.model_version,
            latency_ms=latency_ms,
            text=job.text,
            alert=self._alert(job, prediction),
            expires_in=self.settings.jobs.outbox_expiry_seconds,
        )
        changed = repo.record_edit(
            self.db, edit, swap_reaction=lambda old: self._swap(job, old, prediction.label)
        )
        if changed:
            self._kick()
        return changed

    def _swap(self, job: TriageJob, old: str, new: str) -> list[OutboxWrite]:
        """The writes that replace the `old` label's emoji on the message by the `new` one's."""
        emoji = self.settings.slack.emoji
        if job.shared or emoji[old] == emoji[new]:
            return []
        remove, add = swap_keys(job.team_id, job.channel_id, job.ts, str(job.edited_ts))
        return [
            self._reaction(job, "reactions.remove", remove, emoji[old]),
            self._reaction(job, "reactions.add", add, emoji[new]),
        ]

    def _reaction(self, job: TriageJob, method: str, key: str, name: str) -> OutboxWrite:
        return OutboxWrite(
            key=key,
            method=method,
            team_id=job.team_id,
            channel_id=job.channel_id,
            payload={"channel": job.channel_id, "timestamp": job.ts, "name": name},
            expires_in=self.settings.jobs.outbox_expiry_seconds,
        )

    def _prediction(
        self, job: TriageJob, prediction: Prediction, latency_ms: float
    ) -> repo.PredictionWrite:
        reactions: list[OutboxWrite] = []
        if not job.shared:
            key = reaction_key(job.team_id, job.channel_id, job.ts)
            emoji = self.settings.slack.emoji[prediction.label]
            reactions.append(self._reaction(job, "reactions.add", key, emoji))
        return repo.PredictionWrite(
            team_id=job.team_id,
            channel_id=job.channel_id,
            message_ts=job.ts,
            user_id=job.user_id,
            label=prediction.label,
            scores=dict(prediction.scores),
            model_version=prediction.model_version,
            latency_ms=latency_ms,
            text=job.text,
            thread_ts=job.thread_ts,
            outbox=reactions,
            alert=self._alert(job, prediction),
        )

    def _alert(self, job: TriageJob, prediction: Prediction) -> AlertWrite | None:
        """An alert for a confident negative in an alert/suggest channel with somewhere to go."""
        slack, jobs = self.settings.slack, self.settings.jobs
        if prediction.label != "negative" or prediction.confidence < slack.alert_threshold:
            return None
        if job.mode not in ALERT_MODES:
            return None
        if not job.escalation_channel:
            logger.debug("negative message in %s but no escalation channel", job.channel_id)
            return None
        if job.shared and job.escalation_channel == job.channel_id:
            logger.info("no alert: %s is shared and is its own escalation channel", job.channel_id)
            return None
        return AlertWrite(
            escalation_channel=job.escalation_channel,
            confidence=prediction.confidence,
            text=job.text,
            digest_after=jobs.digest_after,
            window_seconds=jobs.digest_window_seconds,
            expires_in=jobs.outbox_expiry_seconds,
            customer_team=job.user_team,
        )

    def respond(self, *, key: str, team_id: str | None, url: str, body: dict[str, Any]) -> None:
        """Answer on a `response_url` (given up after 30 minutes, as Slack does)."""
        self._write(
            [
                OutboxWrite(
                    key=key,
                    method="response_url",
                    team_id=team_id,
                    payload={"url": url, "body": body},
                    expires_in=min(
                        RESPONSE_URL_EXPIRY_SECONDS, self.settings.jobs.outbox_expiry_seconds
                    ),
                )
            ]
        )

    def post(
        self,
        *,
        key: str,
        team_id: str,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Post a message (`chat.postMessage`), paced per channel, with message `metadata`
        (`event_type`, `event_payload`) when given."""
        self._write([self._message(key, team_id, channel_id, text, blocks, thread_ts, metadata)])

    def update_view(
        self, *, key: str, team_id: str | None, view_id: str, view: dict[str, Any]
    ) -> None:
        """Replace an open modal (`views.update`)."""
        self._write(
            [
                OutboxWrite(
                    key=key,
                    method="views.update",
                    team_id=team_id,
                    payload={"view_id": view_id, "view": view},
                    expires_in=self.settings.jobs.outbox_expiry_seconds,
                )
            ]
        )

    def notify_admins(self, *, key: str, text: str, response_url: str | None = None) -> None:
        """DM each of `TRIAGE_ADMIN_USER_IDS` (else post in the escalation channel), and answer
        on `response_url` too when given."""
        targets = self.settings.slack.admin_targets
        writes = [self._message(f"{key}:{target}", None, target, text) for target in targets]
        if response_url:
            body = {"response_type": "ephemeral", "replace_original": False, "text": text}
            writes.append(
                OutboxWrite(
                    key=f"{key}:response",
                    method="response_url",
                    team_id=None,
                    payload={"url": response_url, "body": body},
                    expires_in=RESPONSE_URL_EXPIRY_SECONDS,
                )
            )
        if not writes:
            logger.warning("no admins and no escalation channel to tell: %s", text)
        self._write(writes)

    def complete_function(
        self, *, key: str, team_id: str, execution_id: str, outputs: dict[str, Any]
    ) -> None:
        """End a Workflow Builder step successfully (`functions.completeSuccess`)."""
        payload = {"function_execution_id": execution_id, "outputs": outputs}
        self._write([self._function_write(key, team_id, "functions.completeSuccess", payload)])

    def fail_function(self, *, key: str, team_id: str, execution_id: str, error: str) -> None:
        """End a Workflow Builder step with `error`, which its workflow shows
        (`functions.completeError`)."""
        payload = {"function_execution_id": execution_id, "error": error}
        self._write([self._function_write(key, team_id, "functions.completeError", payload)])

    # ---- helpers
    def _function_write(
        self, key: str, team_id: str, method: str, payload: dict[str, Any]
    ) -> OutboxWrite:
        return OutboxWrite(
            key=key,
            method=method,
            team_id=team_id,
            payload=payload,
            expires_in=self.settings.jobs.outbox_expiry_seconds,
        )

    def _message(
        self,
        key: str,
        team_id: str | None,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> OutboxWrite:
        payload: dict[str, Any] = {"channel": channel_id, "text": text}
        if blocks is not None:
            payload["blocks"] = blocks
        if thread_ts:
            payload["thread_ts"] = thread_ts
        if metadata is not None:
            payload["metadata"] = metadata
        return OutboxWrite(
            key=key,
            method="chat.postMessage",
            team_id=team_id,
            channel_id=channel_id,
            payload=payload,
            expires_in=self.settings.jobs.outbox_expiry_seconds,
        )

    def _write(self, writes: Sequence[OutboxWrite]) -> None:
        if writes and repo.enqueue(self.db, writes=writes):
            self._kick()

    def _kick(self) -> None:
        if self.sender is not None:
            self.sender.kick()
