"""Cases: opened with their alert, changed once per change, followed up, summed up (both engines)."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage import repositories as repo
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.records import CaseRecord
from storage.repositories import AlertWrite, CaseSettings, OutboxWrite
from tests.storage.helpers import count, prediction, seed_model

T, C, ESC = "T1", "C1", "CESC"


def alert(
    db: Database, ts: str, *, user: str = "U1", text: str = "this is awful", **extra: Any
) -> CaseRecord:
    """Record a negative message with an alert; its case."""
    repo.record_prediction(
        db,
        **prediction(team_id=T, channel_id=C, message_ts=ts, user_id=user, text=text),
        alert=AlertWrite(escalation_channel=ESC, confidence=0.9, text=text, **extra),
    )
    case = repo.case_of_message(db, team_id=T, channel_id=C, message_ts=ts)
    assert case is not None
    return case


@pytest.fixture
def cases_db(db: Database) -> Database:
    seed_model(db)
    repo.set_channel_settings(
        db,
        team_id=T,
        channel_id=C,
        enabled=True,
        mode="alert",
        privacy_mode="store_text",
        escalation_channel=ESC,
        set_by="UADMIN",
        cases=CaseSettings(response_target_minutes=15, oncall_group="S123"),
    )
    return db


def test_an_alert_opens_one_case_in_its_transaction(cases_db: Database) -> None:
    case = alert(cases_db, "1.1")
    assert (case.state, case.customer_id, case.escalation_channel) == ("open", "U1", ESC)
    alert(cases_db, "1.1")  # redelivered: no second alert, no second case
    assert count(cases_db, "cases") == 1 == count(cases_db, "alerts")
    events = repo.list_case_events(cases_db, team_id=T, case_id=case.id)
    assert [e.action for e in events] == ["opened"]


def test_acknowledge_once_and_refuse_unknown_or_foreign_cases(cases_db: Database) -> None:
    case = alert(cases_db, "1.1")
    first = repo.acknowledge_case(cases_db, team_id=T, case_id=case.id, user_id="UAGENT")
    again = repo.acknowledge_case(cases_db, team_id=T, case_id=case.id, user_id="UOTHER")
    assert first.changed and not again.changed
    assert again.case.acknowledged_by == "UAGENT" and again.case.state == "acknowledged"
    with pytest.raises(NotFound):
        repo.acknowledge_case(cases_db, team_id=T, case_id=case.id + 99, user_id="U9")
    with pytest.raises(NotFound):
        repo.acknowledge_case(cases_db, team_id="TOTHER", case_id=case.id, user_id="U9")
    assert repo.get_case(cases_db, team_id="TOTHER", case_id=case.id) is None
    with pytest.raises(InvalidInput):
        repo.acknowledge_case(cases_db, team_id=T, case_id="1", user_id="U9")  # type: ignore[arg-type]
    actions = [e.action for e in repo.list_case_events(cases_db, team_id=T, case_id=case.id)]
    assert actions == ["opened", "acknowledged"]


def test_assign_acknowledges_and_writes_the_dm_once(cases_db: Database) -> None:
    case = alert(cases_db, "1.1")
    dm = OutboxWrite(
        key=f"case-assign:{T}:{case.id}:UAGENT",
        method="chat.postMessage",
        team_id=T,
        channel_id="UAGENT",
        payload={"channel": "UAGENT", "text": "yours"},
    )
    kwargs = {"team_id": T, "case_id": case.id, "user_id": "ULEAD", "assignee_id": "UAGENT"}
    first = repo.assign_case(cases_db, **kwargs, notify=[dm])  # type: ignore[arg-type]
    again = repo.assign_case(cases_db, **kwargs, notify=[dm])  # type: ignore[arg-type]
    assert first.changed and not again.changed
    assert first.case.state == "acknowledged" and first.case.acknowledged_by == "ULEAD"
    assert repo.get_outbox_row(cases_db, key=dm.key) is not None
    assert [c.id for c in repo.list_cases(cases_db, team_id=T, assignee_id="UAGENT")] == [case.id]


def test_resolve_with_a_note_then_reopen(cases_db: Database) -> None:
    case = alert(cases_db, "1.1")
    done = repo.resolve_case(cases_db, team_id=T, case_id=case.id, user_id="U9", note="refunded")
    twice = repo.resolve_case(cases_db, team_id=T, case_id=case.id, user_id="U8", note="x")
    assert done.changed and not twice.changed
    assert (twice.case.state, twice.case.resolved_by, twice.case.resolution_note) == (
        "resolved",
        "U9",
        "refunded",
    )
    with pytest.raises(InvalidInput):
        repo.resolve_case(cases_db, team_id=T, case_id=case.id, user_id="U9", note="x" * 2001)
    back = repo.reopen_case(cases_db, team_id=T, case_id=case.id, user_id="U9")
    assert back.changed and back.case.state == "open" and back.case.resolved_at is None
    assert not repo.reopen_case(cases_db, team_id=T, case_id=case.id, user_id="U9").changed
    assert [c.id for c in repo.list_cases(cases_db, team_id=T, state="open")] == [case.id]


def test_a_change_of_a_posted_alert_updates_it_in_place(cases_db: Database) -> None:
    case = alert(cases_db, "1.1", text="<!channel> refund")
    key = repo.alert_key(T, C, "1.1")
    update_key = repo.alert_update_key(T, C, "1.1")
    repo.acknowledge_case(cases_db, team_id=T, case_id=case.id, user_id="U9")
    assert repo.get_outbox_row(cases_db, key=update_key) is None  # not posted: rendered as is
    (row,) = [r for r in repo.claim_due(cases_db, holder="h", limit=10) if r.key == key]
    repo.mark_sent(cases_db, row_id=row.id, holder="h", result_ts="9.9")

    repo.resolve_case(cases_db, team_id=T, case_id=case.id, user_id="U9", text="clicked quote")

    update = repo.get_outbox_row(cases_db, key=update_key)
    assert update is not None and update.method == "alert_update" and update.status == "pending"
    assert update.payload["text"] == "clicked quote" and update.payload["case_change"] is True


def test_a_change_of_a_digested_alert_renders_the_digest_again(cases_db: Database) -> None:
    cases = [alert(cases_db, f"1.{i}", digest_after=0) for i in range(2)]
    (digest_row,) = [r for r in repo.list_outbox(cases_db, team_id=T) if r.method == "digest"]
    before = repo.get_digest(cases_db, digest_id=int(digest_row.payload["digest_id"]))
    repo.acknowledge_case(cases_db, team_id=T, case_id=cases[0].id, user_id="U9")
    after = repo.get_digest(cases_db, digest_id=int(digest_row.payload["digest_id"]))
    assert before is not None and after is not None and after.version == before.version + 1


def test_followups_are_due_after_the_target_and_recorded_once(cases_db: Database) -> None:
    case = alert(cases_db, "1.1")
    created = case.created_at
    assert repo.due_followups(cases_db, team_id=T, now=created + timedelta(minutes=14)) == []
    due = repo.due_followups(cases_db, team_id=T, now=created + timedelta(minutes=15))
    assert [(f.case.id, f.target_minutes, f.oncall_group) for f in due] == [(case.id, 15, "S123")]
    at = created + timedelta(minutes=16)
    args = {"team_id": T, "case_id": case.id, "target_minutes": 15, "now": at, "writes": []}
    assert repo.record_followup(cases_db, **args)  # type: ignore[arg-type]
    assert not repo.record_followup(cases_db, **args)  # type: ignore[arg-type]  # another scheduler
    assert repo.due_followups(cases_db, team_id=T, now=at) == []
    assert repo.due_followups(cases_db, team_id=T, now=at + timedelta(minutes=15))  # again later
    repo.acknowledge_case(cases_db, team_id=T, case_id=case.id, user_id="U9")
    assert repo.due_followups(cases_db, team_id=T, now=at + timedelta(hours=5)) == []
    stored = repo.get_case(cases_db, team_id=T, case_id=case.id)
    assert stored is not None and stored.followups == 1


def test_summary_counts_and_medians(cases_db: Database) -> None:
    first, second, third = (alert(cases_db, f"1.{i}") for i in range(3))
    at = first.created_at
    repo.acknowledge_case(
        cases_db, team_id=T, case_id=first.id, user_id="U9", now=at + timedelta(minutes=10)
    )
    repo.resolve_case(
        cases_db, team_id=T, case_id=first.id, user_id="U9", now=at + timedelta(minutes=30)
    )
    repo.acknowledge_case(
        cases_db, team_id=T, case_id=second.id, user_id="U9", now=at + timedelta(minutes=20)
    )
    repo.record_prediction(
        cases_db, **prediction(team_id=T, channel_id=C, message_ts="2.1", label="positive")
    )
    summary = repo.case_summary(
        cases_db,
        team_id=T,
        escalation_channel=ESC,
        since=at - timedelta(hours=1),
        until=at + timedelta(hours=1),
    )
    assert (summary.opened, summary.resolved, summary.still_open, summary.unacknowledged) == (
        3,
        1,
        2,
        1,
    )
    acked = [c for c in repo.list_cases(cases_db, team_id=T) if c.acknowledged_at is not None]
    waits = [(c.acknowledged_at - c.created_at).total_seconds() for c in acked if c.acknowledged_at]
    assert len(waits) == 2 and summary.median_ack_seconds == pytest.approx(statistics.median(waits))
    assert summary.median_resolve_seconds == pytest.approx(
        (at + timedelta(minutes=30) - first.created_at).total_seconds()
    )
    assert summary.negative_share == {C: pytest.approx(3 / 4)}
    assert third.state == "open"
    assert repo.escalation_channels_with_cases(cases_db, team_id=T) == [(T, ESC)]


def test_customer_history_by_user_and_by_external_organisation(cases_db: Database) -> None:
    since = datetime.now(UTC) - timedelta(days=7)
    alert(cases_db, "1.1", user="UCUST", customer_team="TACME")
    alert(cases_db, "1.2", user="UCUST", customer_team="TACME")
    alert(cases_db, "1.3", user="UCOLLEAGUE", customer_team="TACME")
    alert(cases_db, "1.4", user="UELSE")
    own = repo.customer_history(cases_db, team_id=T, customer_id="UCUST", since=since)
    assert own.negative_messages == 2 and len(own.cases) == 2
    org = repo.customer_history(
        cases_db, team_id=T, customer_id="UCUST", customer_team="TACME", since=since
    )
    assert org.negative_messages == 3 and {c.customer_id for c in org.cases} == {
        "UCUST",
        "UCOLLEAGUE",
    }
    customers = {c.customer_id: c for c in repo.list_customers(cases_db, team_id=T, since=since)}
    assert customers["UCUST"].negative_messages == 2 and customers["UCUST"].open_cases == 2
    assert customers["UCUST"].customer_team == "TACME" and customers["UELSE"].customer_team is None
    assert repo.list_customers(cases_db, team_id=T, since=datetime.now(UTC) + timedelta(1)) == []


def test_case_settings_are_kept_by_a_mode_change_and_checked(cases_db: Database) -> None:
    repo.set_channel_settings(cases_db, team_id=T, channel_id=C, enabled=True, set_by="U9")
    kept = repo.get_channel_settings(cases_db, team_id=T, channel_id=C)
    assert kept is not None and kept.response_target_minutes == 15 and kept.oncall_group == "S123"
    with pytest.raises(InvalidInput):
        repo.set_channel_settings(
            cases_db,
            team_id=T,
            channel_id=C,
            enabled=True,
            set_by="U9",
            cases=CaseSettings(response_target_minutes=0),
        )


def test_deleting_a_workspace_deletes_its_cases(cases_db: Database) -> None:
    alert(cases_db, "1.1")
    repo.delete_workspace(cases_db, team_id=T)
    assert count(cases_db, "cases") == 0 == count(cases_db, "case_events")


def posted(db: Database, ts: str) -> None:
    """The sender posted the single alert about message `ts`."""
    key = repo.alert_key(T, C, ts)
    (row,) = [r for r in repo.claim_due(db, holder="h", limit=10) if r.key == key]
    repo.mark_sent(db, row_id=row.id, holder="h", result_ts="9.9")


def test_a_follow_up_updates_the_posted_alert_in_place(cases_db: Database) -> None:
    case = alert(cases_db, "1.1")
    posted(cases_db, "1.1")
    later = case.created_at + timedelta(minutes=15)
    assert repo.record_followup(
        cases_db, team_id=T, case_id=case.id, target_minutes=15, now=later, writes=[]
    )
    update = repo.get_outbox_row(cases_db, key=repo.alert_update_key(T, C, "1.1"))
    assert update is not None and update.method == "alert_update" and update.status == "pending"
    assert update.payload["case_change"] is True
    assert update.payload["text"] == "this is awful"  # the channel keeps text: quoted again


def test_a_deleted_message_withdraws_its_case(cases_db: Database) -> None:
    case = alert(cases_db, "1.1")
    done = alert(cases_db, "1.2")
    repo.resolve_case(cases_db, team_id=T, case_id=done.id, user_id="U9", note="refunded")
    for ts in ("1.1", "1.2"):
        repo.delete_message_text(cases_db, team_id=T, channel_id=C, message_ts=ts)

    withdrawn = repo.get_case(cases_db, team_id=T, case_id=case.id)
    assert withdrawn is not None and withdrawn.state == "withdrawn"
    assert withdrawn.resolved_at is None and withdrawn.resolved_by is None
    events = repo.list_case_events(cases_db, team_id=T, case_id=case.id)
    assert [(e.action, e.actor_id) for e in events] == [("opened", None), ("withdrawn", None)]
    assert events[-1].detail == {"reason": "message_deleted", "previous": "open"}
    still = repo.get_case(cases_db, team_id=T, case_id=done.id)
    assert still is not None and still.state == "resolved"  # a resolved case keeps its history

    later = case.created_at + timedelta(hours=2)
    assert repo.due_followups(cases_db, team_id=T, now=later) == []
    (customer,) = repo.list_customers(cases_db, team_id=T, since=case.created_at)
    assert customer.open_cases == 0
    summary = repo.case_summary(
        cases_db,
        team_id=T,
        escalation_channel=ESC,
        since=case.created_at - timedelta(minutes=1),
        until=later,
    )
    assert (summary.still_open, summary.withdrawn, summary.resolved) == (0, 1, 1)
    for change in (repo.resolve_case, repo.reopen_case, repo.acknowledge_case):
        assert not change(cases_db, team_id=T, case_id=case.id, user_id="U9").changed
    assigned = repo.assign_case(
        cases_db, team_id=T, case_id=case.id, user_id="U9", assignee_id="U8"
    )
    assert not assigned.changed and assigned.case.assignee_id is None
