"""Predictions: one row per (team, channel, message ts), recorded once however often Slack retries.

An edited message is classified again and its row updated in place (`record_edit`), once per
edit, with the Slack writes that follow (a swapped reaction, the alert updated or raised).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.orm import MessageText, ModelVersion, PredictionRow
from storage.records import PredictionRecord
from storage.repositories._common import moment, upsert_insert
from storage.repositories._markers import claim_edit, was_deleted
from storage.repositories._texts import keep_text
from storage.repositories.alert_changes import revise_alert
from storage.repositories.alerts import AlertWrite, add_alert
from storage.repositories.outbox import OutboxWrite, insert_writes
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

_TEXT_JOIN = and_(
    MessageText.team_id == PredictionRow.team_id,
    MessageText.channel_id == PredictionRow.channel_id,
    MessageText.message_ts == PredictionRow.message_ts,
)


def _record(row: PredictionRow, text: str | None) -> PredictionRecord:
    return PredictionRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        thread_ts=row.thread_ts,
        user_id=row.user_id,
        label=row.label,
        scores=dict(row.scores),
        model_version=row.model_version,
        latency_ms=row.latency_ms,
        created_at=row.created_at,
        text=text,
    )


@dataclass(frozen=True)
class PredictionWrite:
    """One classified message to record (see `record_prediction` for the fields).

    `outbox` (e.g. the reaction) and `alert` (an escalation alert, maybe folded into a digest)
    are the Slack writes that follow the decision.
    """

    team_id: str
    channel_id: str
    message_ts: str
    user_id: str
    label: str
    scores: Mapping[str, float]
    model_version: str
    latency_ms: float
    text: str | None = None
    thread_ts: str | None = None
    outbox: Sequence[OutboxWrite] = ()
    alert: AlertWrite | None = None

    def checked(self) -> PredictionWrite:
        """Itself with its Slack writes validated (raises `InvalidInput`)."""
        check.ident("team_id", self.team_id)
        check.ident("channel_id", self.channel_id)
        check.ident("message_ts", self.message_ts)
        check.optional_ident("thread_ts", self.thread_ts)
        check.ident("user_id", self.user_id)
        check.label(self.label)
        check.text_field("model_version", self.model_version, max_len=check.NAME_LEN)
        check.non_negative("latency_ms", self.latency_ms)
        if self.text is not None:
            check.text_field("text", self.text, max_len=check.TEXT_LEN, allow_empty=True)
        return replace(
            self,
            scores=check.scores(self.scores),
            outbox=[write.checked() for write in self.outbox],
            alert=self.alert.checked() if self.alert is not None else None,
        )


def record_prediction(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    user_id: str,
    label: str,
    scores: Mapping[str, float],
    model_version: str,
    latency_ms: float,
    text: str | None = None,
    thread_ts: str | None = None,
    outbox: Sequence[OutboxWrite] = (),
    alert: AlertWrite | None = None,
) -> tuple[PredictionRecord, bool]:
    """Record a classified message once; return it and whether this call created it.

    `text` is kept (with the retention deadline) only if the channel's privacy mode is
    `store_text`. A redelivered message returns the stored row and `False`.

    `outbox` (e.g. the reaction) and `alert` (an escalation alert, maybe folded into a digest)
    are the Slack writes that follow the decision: stored in the same transaction, and only by
    the call that created the prediction, so a redelivery writes nothing twice.

    Raises:
        InvalidInput: bad label or scores, over-long or empty ids, text over 40,000 characters.
        NotFound: `model_version` is not registered.
    """
    write = PredictionWrite(
        team_id=team_id,
        channel_id=channel_id,
        message_ts=message_ts,
        user_id=user_id,
        label=label,
        scores=scores,
        model_version=model_version,
        latency_ms=latency_ms,
        text=text,
        thread_ts=thread_ts,
        outbox=outbox,
        alert=alert,
    ).checked()
    with db.transaction() as session:
        _require_versions(session, {model_version})
        created = _insert(session, write, retention_days=db.retention_days)
        record = _get(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
    assert record is not None  # inserted above or already there
    return record, created


def record_predictions(db: Database, writes: Sequence[PredictionWrite]) -> list[bool | Exception]:
    """Record many classified messages in one transaction (a micro-batch of triage jobs).

    Each result says what became of the write at the same position: True when this call
    created it, False when it was recorded before, or the error that refused it. A write that
    fails validation or names an unregistered model is refused alone. If the shared
    transaction fails, each write is retried in a transaction of its own, so one bad write
    never costs its neighbours; only then does a database error reach a result.
    """
    results: list[bool | Exception] = []
    valid: list[tuple[int, PredictionWrite]] = []
    for position, write in enumerate(writes):
        try:
            valid.append((position, write.checked()))
            results.append(False)
        except InvalidInput as exc:
            results.append(exc)
    if not valid:
        return results
    try:
        with db.transaction() as session:
            missing = _missing_versions(session, {write.model_version for _, write in valid})
            for position, write in valid:
                if write.model_version in missing:
                    results[position] = _not_registered(write.model_version)
                else:
                    results[position] = _insert(session, write, retention_days=db.retention_days)
    except Exception:
        logger.warning(
            "a batch of %d predictions failed; recording each alone", len(valid), exc_info=True
        )
        for position, write in valid:
            try:
                with db.transaction() as session:
                    _require_versions(session, {write.model_version})
                    results[position] = _insert(session, write, retention_days=db.retention_days)
            except Exception as exc:  # this write's own failure, handed to its caller
                results[position] = exc
    return results


@dataclass(frozen=True)
class PredictionEdit:
    """An edited message classified again (see `record_edit`).

    Args:
        edit_id: which edit this is (Slack's `edited.ts`): each is applied once.
        confidence: the new label's confidence, shown by the message's alert.
        text: the edited text; kept only where the channel stores text, quoted by the alert.
        alert: the alert to raise if the message has none yet (a confident negative now).
        expires_in: seconds until an update of the alert in Slack is given up.
    """

    team_id: str
    channel_id: str
    message_ts: str
    edit_id: str
    label: str
    confidence: float
    scores: Mapping[str, float]
    model_version: str
    latency_ms: float
    text: str
    alert: AlertWrite | None = None
    expires_in: float = 3600.0

    def checked(self) -> PredictionEdit:
        """Itself once every field passed the rules (raises `InvalidInput`)."""
        for name in ("team_id", "channel_id", "message_ts", "edit_id"):
            check.ident(name, getattr(self, name))
        check.label(self.label)
        check.non_negative("confidence", self.confidence)
        check.text_field("model_version", self.model_version, max_len=check.NAME_LEN)
        check.non_negative("latency_ms", self.latency_ms)
        check.text_field("text", self.text, max_len=check.TEXT_LEN, allow_empty=True)
        return replace(
            self,
            scores=check.scores(self.scores),
            alert=self.alert.checked() if self.alert is not None else None,
        )


ReactionSwap = Callable[[str], Sequence[OutboxWrite]]


def record_edit(db: Database, edit: PredictionEdit, *, swap_reaction: ReactionSwap) -> bool:
    """Apply an edited message's new prediction once; return whether anything changed.

    In one transaction: the prediction takes the new label and scores, the kept text (where the
    channel stores text) the new text; when the label changed, `swap_reaction(old_label)`
    gives the Slack writes that swap the message's reaction; its alert is updated in place
    (`alert_changes.revise_alert`), or `edit.alert` is raised when it had none. Returns False,
    writing nothing, for a message never triaged, one deleted meanwhile, or an edit applied
    before.

    Raises:
        InvalidInput: a bad field, or a bad write from `swap_reaction`.
        NotFound: `model_version` is not registered.
    """
    edit = edit.checked()
    ids = {"team_id": edit.team_id, "channel_id": edit.channel_id, "message_ts": edit.message_ts}
    with db.transaction() as session:
        _require_versions(session, {edit.model_version})
        row = session.scalar(select(PredictionRow).filter_by(**ids))
        if row is None or was_deleted(session, **ids):
            return False
        if not claim_edit(session, edit_id=edit.edit_id, **ids):
            return False
        previous = row.label
        session.execute(
            update(PredictionRow)
            .where(PredictionRow.id == row.id)
            .values(
                label=edit.label,
                scores=dict(edit.scores),
                model_version=edit.model_version,
                latency_ms=edit.latency_ms,
            )
        )
        keep_text(session, text=edit.text, retention_days=db.retention_days, **ids)
        if previous != edit.label:
            insert_writes(session, [write.checked() for write in swap_reaction(previous)])
        _revise_or_raise(session, edit, user_id=row.user_id)
    return True


def _revise_or_raise(session: Session, edit: PredictionEdit, *, user_id: str) -> None:
    """Update the message's alert to the edit, or raise `edit.alert` when it had none."""
    ids = {"team_id": edit.team_id, "channel_id": edit.channel_id, "message_ts": edit.message_ts}
    revised = revise_alert(
        session,
        label=edit.label,
        confidence=edit.confidence,
        text=edit.text,
        expires_in=edit.expires_in,
        **ids,
    )
    if not revised and edit.alert is not None:
        add_alert(session, edit.alert, user_id=user_id, label=edit.label, **ids)


def _missing_versions(session: Session, versions: set[str]) -> set[str]:
    found = session.scalars(select(ModelVersion.version).where(ModelVersion.version.in_(versions)))
    return versions - set(found)


def _not_registered(version: str) -> NotFound:
    return NotFound(f"model version {version!r} is not registered")


def _require_versions(session: Session, versions: set[str]) -> None:
    missing = _missing_versions(session, versions)
    if missing:
        raise _not_registered(min(missing))


def _insert(session: Session, write: PredictionWrite, *, retention_days: int) -> bool:
    """Insert one checked write and its follow-ups; False if the message was there already."""
    insert = upsert_insert(session, PredictionRow.__table__).values(
        team_id=write.team_id,
        channel_id=write.channel_id,
        message_ts=write.message_ts,
        thread_ts=write.thread_ts,
        user_id=write.user_id,
        label=write.label,
        scores=dict(write.scores),
        model_version=write.model_version,
        latency_ms=write.latency_ms,
        created_at=utcnow(),
    )
    created_id = session.scalar(
        insert.on_conflict_do_nothing(
            index_elements=["team_id", "channel_id", "message_ts"]
        ).returning(PredictionRow.id)
    )
    if created_id is None:
        return False
    if write.text:
        keep_text(
            session,
            team_id=write.team_id,
            channel_id=write.channel_id,
            message_ts=write.message_ts,
            text=write.text,
            retention_days=retention_days,
        )
    _follow_ups(
        session,
        list(write.outbox),
        write.alert,
        team_id=write.team_id,
        channel_id=write.channel_id,
        message_ts=write.message_ts,
        user_id=write.user_id,
        label=write.label,
    )
    return True


def _follow_ups(
    session: Session,
    writes: list[OutboxWrite],
    alert: AlertWrite | None,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    user_id: str,
    label: str,
) -> None:
    """The Slack writes that follow a new prediction, in its transaction."""
    insert_writes(session, writes)
    if alert is not None:
        add_alert(
            session,
            alert,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=message_ts,
            user_id=user_id,
            label=label,
        )


def _get(
    session: Session, *, team_id: str, channel_id: str, message_ts: str
) -> PredictionRecord | None:
    row = session.execute(
        select(PredictionRow, MessageText.text)
        .outerjoin(MessageText, _TEXT_JOIN)
        .where(
            PredictionRow.team_id == team_id,
            PredictionRow.channel_id == channel_id,
            PredictionRow.message_ts == message_ts,
        )
    ).one_or_none()
    return None if row is None else _record(row[0], row[1])


def get_prediction(
    db: Database, *, team_id: str, channel_id: str, message_ts: str
) -> PredictionRecord | None:
    """The prediction of one message, or None."""
    check.ident("team_id", team_id)
    with db.session() as session:
        return _get(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)


def recent_predictions(
    db: Database, *, team_id: Workspace, since: datetime, limit: int = 10_000
) -> list[PredictionRecord]:
    """Predictions of `team_id` (a workspace or `ALL_WORKSPACES`) made at or after `since`,
    newest first, at most `limit`."""
    query = scoped(
        select(PredictionRow, MessageText.text).outerjoin(MessageText, _TEXT_JOIN),
        PredictionRow.team_id,
        team_id,
    )
    query = (
        query.where(PredictionRow.created_at >= moment("since", since))
        .order_by(PredictionRow.created_at.desc(), PredictionRow.id.desc())
        .limit(limit)
    )
    with db.session() as session:
        return [_record(row, text) for row, text in session.execute(query)]


def label_counts_by_day(
    db: Database, *, team_id: Workspace, since: datetime
) -> list[tuple[date, str, int]]:
    """(UTC day, label, count) of `team_id`'s predictions since `since`, by day then label."""
    day = func.date(PredictionRow.created_at)
    query = (
        scoped(select(day, PredictionRow.label, func.count()), PredictionRow.team_id, team_id)
        .where(PredictionRow.created_at >= moment("since", since))
        .group_by(day, PredictionRow.label)
        .order_by(day, PredictionRow.label)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    return [
        (value if isinstance(value, date) else date.fromisoformat(str(value)), lbl, int(count))
        for value, lbl, count in rows
    ]
