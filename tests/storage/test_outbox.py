"""The Slack outbox in storage: keys, claims with a lease, outcomes, digests, pacing, privacy."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.orm import OutboxRow
from storage.repositories import (
    AlertWrite,
    OutboxWrite,
    active_holds,
    alert_key,
    claim_due,
    delete_message_text,
    delete_workspace,
    digest_key,
    enqueue,
    expire_overdue,
    finish_digest,
    get_digest,
    get_outbox_row,
    hold_scope,
    list_alerts,
    list_failed,
    list_outbox,
    mark_failed,
    mark_sent,
    next_due_at,
    purge_outbox,
    record_prediction,
    reserve_slot,
    retry_at,
    set_channel_settings,
)
from storage.workspaces import ALL_WORKSPACES
from tests.storage.helpers import count, prediction, seed_model, snapshot


def reaction(ts: str = "1.1", team: str = "T1", channel: str = "C1", **kw: object) -> OutboxWrite:
    payload = {"channel": channel, "timestamp": ts, "name": "rage"}
    return OutboxWrite(
        key=f"react:{team}:{channel}:{ts}",
        method="reactions.add",
        team_id=team,
        channel_id=channel,
        payload=payload,
        **kw,  # type: ignore[arg-type]
    )


def alert(**overrides: object) -> AlertWrite:
    values: dict[str, object] = {"escalation_channel": "CESC", "confidence": 0.9, "text": "broken"}
    values.update(overrides)
    return AlertWrite(**values)  # type: ignore[arg-type]


def expire_lease(db: Database, key: str) -> None:
    """What a crashed sender leaves: a claim whose lease has run out."""
    with db.transaction() as session:
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.key == key)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )


# ---------------------------------------------------------------- writes and keys
def test_a_key_is_written_once_and_the_first_write_is_kept(db: Database) -> None:
    assert enqueue(db, writes=[reaction(), reaction(ts="1.2")]) == 2
    changed = OutboxWrite(key="react:T1:C1:1.1", method="chat.postMessage", team_id="T1")

    assert enqueue(db, writes=[changed]) == 0

    row = get_outbox_row(db, key="react:T1:C1:1.1")
    assert row is not None and row.method == "reactions.add" and row.status == "pending"
    assert count(db, "slack_outbox") == 2


@pytest.mark.parametrize(
    "bad",
    [
        OutboxWrite(key="", method="reactions.add", team_id="T1"),
        OutboxWrite(key="k" * 256, method="reactions.add", team_id="T1"),
        OutboxWrite(key="k", method="chat.delete", team_id="T1"),
        OutboxWrite(key="k", method="reactions.add", team_id="T 1"),
        OutboxWrite(key="k", method="reactions.add", team_id="T1", expires_in=0),
        OutboxWrite(key="k", method="reactions.add", team_id="T1", payload={"x": object()}),
    ],
)
def test_bad_writes_are_refused_before_anything_is_written(
    sqlite_db: Database, bad: OutboxWrite
) -> None:
    with pytest.raises(InvalidInput):
        enqueue(sqlite_db, writes=[reaction(), bad])
    assert count(sqlite_db, "slack_outbox") == 0


def test_prediction_and_its_writes_share_one_transaction(db: Database) -> None:
    seed_model(db)
    _, created = record_prediction(db, **prediction(), outbox=[reaction()], alert=alert())

    assert created
    assert get_outbox_row(db, key="react:T1:C1:1.1") is not None
    assert get_outbox_row(db, key=alert_key("T1", "C1", "1700000000.000100")) is not None
    assert count(db, "alerts") == 1


def test_a_redelivered_message_writes_nothing(db: Database) -> None:
    seed_model(db)
    record_prediction(db, **prediction(), outbox=[reaction()], alert=alert())
    before = snapshot(db)

    _, created = record_prediction(
        db, **prediction(), outbox=[reaction(ts="9.9")], alert=alert(text="again")
    )

    assert not created
    assert snapshot(db) == before


def test_a_failing_prediction_leaves_no_writes(db: Database) -> None:
    with pytest.raises(NotFound):  # no model registered
        record_prediction(db, **prediction(), outbox=[reaction()], alert=alert())
    with pytest.raises(InvalidInput):
        record_prediction(
            db, **prediction(), outbox=[OutboxWrite(key="k", method="nope", team_id="T1")]
        )
    assert count(db, "slack_outbox") == count(db, "alerts") == count(db, "predictions") == 0


# ---------------------------------------------------------------- claims and outcomes
def test_a_claimed_row_is_held_until_marked_or_its_lease_runs_out(db: Database) -> None:
    enqueue(db, writes=[reaction()])
    [row] = claim_due(db, holder="a")
    assert row.attempts == 1
    assert claim_due(db, holder="b") == []  # leased to "a"

    expire_lease(db, row.key)  # "a" crashed after sending
    [again] = claim_due(db, holder="b")

    assert again.id == row.id and again.attempts == 2
    assert not mark_sent(db, row_id=row.id, holder="a")  # no longer its claim
    assert mark_sent(db, row_id=row.id, holder="b", result_ts="1700.1")
    sent = get_outbox_row(db, key=row.key)
    assert sent is not None and sent.status == "sent" and sent.result_ts == "1700.1"
    assert sent.payload == {}  # nothing of the message lingers
    assert claim_due(db, holder="c") == []


def test_two_claimers_never_share_a_row(db: Database, database_url: str) -> None:
    enqueue(db, writes=[reaction(ts=f"1.{i}") for i in range(60)])
    claimed: list[list[int]] = [[], [], []]

    def claim(slot: int) -> None:
        own = Database.from_url(database_url)
        try:
            while rows := claim_due(own, holder=f"h{slot}", limit=7):
                claimed[slot] += [row.id for row in rows]
        finally:
            own.dispose()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [row_id for part in claimed for row_id in part]
    assert len(ids) == len(set(ids)) == 60


def test_a_permanent_failure_is_kept_with_its_reason_for_admins(db: Database) -> None:
    enqueue(db, writes=[reaction(), reaction(team="T2", channel="C2")])
    for row in claim_due(db, holder="a"):
        mark_failed(db, row_id=row.id, holder="a", reason="channel_not_found")

    [failed] = list_failed(db, team_id="T1")

    assert failed.status == "failed" and failed.last_error == "channel_not_found"
    assert failed.payload == {}
    assert len(list_failed(db, team_id=ALL_WORKSPACES)) == 2
    assert claim_due(db, holder="a") == []


def test_a_retry_waits_and_one_past_the_expiry_gives_up(db: Database) -> None:
    enqueue(db, writes=[reaction(expires_in=600)])
    [row] = claim_due(db, holder="a")
    later = utcnow() + timedelta(seconds=30)

    assert retry_at(db, row_id=row.id, holder="a", at=later, reason="http_503")
    assert claim_due(db, holder="a") == []
    assert next_due_at(db) == later
    [row] = claim_due(db, holder="a", now=later)
    assert row.attempts == 2

    retry_at(db, row_id=row.id, holder="a", at=utcnow() + timedelta(hours=1), reason="http_503")
    gone = get_outbox_row(db, key=row.key)
    assert gone is not None and gone.status == "expired" and gone.last_error == "http_503"


def test_a_deferred_row_does_not_count_an_attempt(db: Database) -> None:
    enqueue(db, writes=[reaction()])
    [row] = claim_due(db, holder="a")
    retry_at(db, row_id=row.id, holder="a", at=utcnow(), count_attempt=False)
    [row] = claim_due(db, holder="a")
    assert row.attempts == 1


def test_overdue_rows_expire_and_old_finished_rows_are_purged(db: Database) -> None:
    enqueue(db, writes=[reaction(expires_in=60), reaction(ts="1.2")])
    assert expire_overdue(db, now=utcnow() + timedelta(minutes=5)) == 1
    [row] = claim_due(db, holder="a")
    mark_sent(db, row_id=row.id, holder="a")

    assert purge_outbox(db, older_than=utcnow() - timedelta(hours=1)) == 0
    assert purge_outbox(db, older_than=utcnow() + timedelta(seconds=1)) == 2
    assert list_outbox(db, team_id=ALL_WORKSPACES) == []


# ---------------------------------------------------------------- alerts and digests
def _alert_messages(db: Database, n: int, **alert_overrides: object) -> None:
    seed_model(db)
    for i in range(n):
        record_prediction(
            db, **prediction(message_ts=f"1700.{i:04d}"), alert=alert(**alert_overrides)
        )


def test_a_burst_of_alerts_folds_into_one_digest(db: Database) -> None:
    _alert_messages(db, 10, digest_after=3)

    singles = [r for r in list_outbox(db, team_id=ALL_WORKSPACES) if r.method == "alert"]
    digests = [r for r in list_outbox(db, team_id=ALL_WORKSPACES) if r.method == "digest"]
    assert len(singles) == 3 and len(digests) == 1
    digest = get_digest(db, digest_id=int(digests[0].payload["digest_id"]))
    assert digest is not None and digest.version == 7
    assert [a.message_ts for a in digest.alerts] == [f"1700.{i:04d}" for i in range(3, 10)]
    assert len(list_alerts(db, team_id="T1")) == 10  # nobody dropped


def test_a_digest_is_marked_sent_only_while_its_version_is_current(db: Database) -> None:
    _alert_messages(db, 5, digest_after=1, coalesce_seconds=0)
    [row] = [r for r in claim_due(db, holder="a") if r.method == "digest"]
    digest_id = int(row.payload["digest_id"])
    assert row.key == digest_key(digest_id)
    digest = get_digest(db, digest_id=digest_id)
    assert digest is not None and len(digest.alerts) == 4

    # An alert arrives while the digest is being posted: the row stays due.
    record_prediction(db, **prediction(message_ts="1800.1"), alert=alert(digest_after=1))
    assert not finish_digest(
        db,
        row_id=row.id,
        holder="a",
        digest_id=digest_id,
        version=digest.version,
        posted_ts="111.1",
        coalesce_seconds=0,
    )
    [row] = [r for r in claim_due(db, holder="a") if r.method == "digest"]
    newest = get_digest(db, digest_id=digest_id)
    assert newest is not None and newest.posted_ts == "111.1"
    assert finish_digest(
        db,
        row_id=row.id,
        holder="a",
        digest_id=digest_id,
        version=newest.version,
        posted_ts="111.1",
    )

    # A later alert makes the sent digest due again (to be updated in place).
    record_prediction(
        db, **prediction(message_ts="1800.2"), alert=alert(digest_after=1, coalesce_seconds=0)
    )
    again = get_outbox_row(db, key=row.key)
    assert again is not None and again.status == "pending" and again.result_ts == "111.1"


def test_alert_text_is_kept_only_where_the_channel_stores_text(db: Database) -> None:
    seed_model(db)
    set_channel_settings(
        db,
        team_id="T1",
        channel_id="CTXT",
        enabled=True,
        mode="alert",
        privacy_mode="store_text",
        set_by="U1",
    )
    record_prediction(db, **prediction(channel_id="CTXT"), alert=alert(text="kept"))
    record_prediction(db, **prediction(channel_id="CIDS"), alert=alert(text="not kept"))

    texts = {a.channel_id: a.text for a in list_alerts(db, team_id="T1")}

    assert texts == {"CTXT": "kept", "CIDS": None}


def test_deleting_a_message_forgets_its_alert_text(db: Database) -> None:
    seed_model(db)
    set_channel_settings(
        db,
        team_id="T1",
        channel_id="C1",
        enabled=True,
        mode="alert",
        privacy_mode="store_text",
        set_by="U1",
    )
    record_prediction(db, **prediction(), alert=alert(text="my card number is ..."))

    delete_message_text(db, team_id="T1", channel_id="C1", message_ts="1700000000.000100")

    [kept] = list_alerts(db, team_id="T1")
    assert kept.text is None and kept.label == "negative"
    pending = get_outbox_row(db, key=alert_key("T1", "C1", "1700000000.000100"))
    assert pending is not None and pending.payload["text"] == ""


def test_deleting_a_workspace_deletes_its_outbox_alerts_digests_and_pacing(db: Database) -> None:
    _alert_messages(db, 6, digest_after=2)
    enqueue(db, writes=[reaction(team="T2")])
    reserve_slot(db, team_id="T1", scope="channel:CESC", interval=1.0)

    delete_workspace(db, team_id="T1")

    assert [r.team_id for r in list_outbox(db, team_id=ALL_WORKSPACES)] == ["T2"]
    assert count(db, "alerts") == count(db, "alert_digests") == count(db, "slack_pacing") == 0


# ---------------------------------------------------------------- pacing
def test_a_channel_takes_a_burst_then_one_message_per_interval(db: Database) -> None:
    now = utcnow()
    waits = [
        reserve_slot(db, team_id="T1", scope="channel:C1", interval=1.0, burst=3, now=now)
        for _ in range(4)
    ]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] == pytest.approx(1.0)
    assert reserve_slot(db, team_id="T1", scope="channel:C2", interval=1.0, now=now) == 0.0
    later = now + timedelta(seconds=1)
    assert reserve_slot(db, team_id="T1", scope="channel:C1", interval=1.0, burst=3, now=later) == 0


def test_a_429_holds_the_scope_back_for_every_process(db: Database) -> None:
    until = utcnow() + timedelta(seconds=30)
    hold_scope(db, team_id="T1", scope="method:reactions.add", until=until)
    hold_scope(db, team_id="T1", scope="method:reactions.add", until=until - timedelta(seconds=9))

    assert active_holds(db) == {("T1", "method:reactions.add"): until}
    wait = reserve_slot(db, team_id="T1", scope="method:reactions.add", interval=0)
    assert 25 < wait <= 30
    assert active_holds(db, now=until + timedelta(seconds=1)) == {}
