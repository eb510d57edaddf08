"""Workspace isolation is a rule of the storage layer, proved over every repository function.

Two workspaces hold the same kinds of data under the *same* channel id and message ts (a Slack
Connect channel has one id in both), B's text marked `SECRET-OF-B`. Every public repository
function is either declared instance-level below (with the reason), or takes a required
`team_id`, and then:
- a reader called for workspace A returns A's data and nothing of B;
- a writer called for workspace A leaves every row of B as it was.
A function added to `storage.repositories` without a place here fails the first test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage import repositories as repo
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import AlertRow, Base, CaseRow
from storage.repositories import ALL_WORKSPACES, AlertWrite, CaseSettings, OutboxWrite
from tests.storage.helpers import prediction, seed_model

A, B = "TWORKSPACEA", "TWORKSPACEB"
CHANNEL, TS, ESCALATION = "CSHARED", "1700000000.000100", "CESCALATE"
SECRET = "SECRET-OF-B"

# Functions that serve the whole instance, and why none of them can leak one workspace's data to
# another workspace's admin: no workspace admin reaches them (they run in the sender, training,
# the scheduler, the CLI, or behind the dashboard's own credential check).
INSTANCE_LEVEL = {
    "acquire_lease": "leases coordinate the instance's processes",
    "renew_lease": "leases coordinate the instance's processes",
    "release_lease": "leases coordinate the instance's processes",
    "claim_event": "Slack event ids are unique across workspaces",
    "purge_processed_events": "maintenance job",
    "register_model_version": "the models are the instance's, shared by every workspace",
    "activate_model_version": "the models are the instance's (operators only, see permissions)",
    "get_active_model_version": "the models are the instance's",
    "get_model_version": "the models are the instance's",
    "list_model_versions": "the models are the instance's",
    "set_model_status": "the models are the instance's (operators only)",
    "rollback_model": "the models are the instance's (operators only)",
    "start_training_run": "training runs train the shared model",
    "finish_training_run": "training runs train the shared model",
    "get_training_run": "training runs hold metrics, never a message",
    "list_training_runs": "training runs hold metrics, never a message",
    "fail_stale_runs": "maintenance job",
    "record_drift_report": "drift is measured on the shared model; reports hold metrics only",
    "latest_drift_report": "drift reports hold metrics only",
    "list_drift_reports": "drift reports hold metrics only",
    "import_feedback": "the operator's CLI imports training data that belongs to no workspace",
    "record_predictions": "each write carries its own team_id (the triage job's signed team)",
    "purge_expired_texts": "maintenance job (retention)",
    "enqueue": "each outbox write carries its own team_id",
    "claim_due": "the outbox sender delivers every workspace's rows with that workspace's token",
    "mark_sent": "the outbox sender, by row id",
    "mark_failed": "the outbox sender, by row id",
    "retry_at": "the outbox sender, by row id",
    "expire_overdue": "the outbox sender",
    "next_due_at": "the outbox sender",
    "count_pending": "the outbox sender (a number, no content)",
    "count_outbox_by_status": "instance metrics (numbers, no content)",
    "purge_outbox": "maintenance job",
    "get_outbox_row": "the outbox sender, by a key that names its team",
    "active_holds": "the outbox sender's pacing",
    "get_digest": "the outbox sender renders a digest for its own row",
    "finish_digest": "the outbox sender",
    "alert_key": "builds a key from its arguments; reads nothing",
    "digest_key": "builds a key from its arguments; reads nothing",
    "alert_update_key": "builds a key from its arguments; reads nothing",
    "record_edit": "each edit carries its own team_id (the signed team of the event)",
    "start_dashboard_session": "stores the scope it is given (see the dashboard tests)",
    "get_dashboard_session": "the dashboard's credential check",
    "revoke_dashboard_session": "the dashboard's credential check",
    "record_auth_failure": "per client address, before anyone is known",
    "lockout_until": "per client address, before anyone is known",
    "count_auth_failures": "per client address, before anyone is known",
    "create_api_token": "stores the scope it is given (see the dashboard tests)",
    "list_api_tokens": "the operator's CLI",
    "revoke_api_token": "the operator's CLI",
    "use_api_token": "the dashboard's credential check",
}

ReadCall = Callable[[Database, str], Any]
LATER = datetime.now(UTC) + timedelta(days=1)


def case_id(db: Database, team_id: str) -> int:
    """The id of the case the workspace's alert opened (a missing scope finds none)."""
    with db.engine.connect() as connection:
        query = select(CaseRow.id).where(CaseRow.team_id == team_id)
        return int(connection.scalar(query) or 0)


def alert_ids(db: Database) -> list[int]:
    """Every alert's id, both workspaces' (the reader must pick its own)."""
    with db.engine.connect() as connection:
        return list(connection.scalars(select(AlertRow.id)))


def reopen(db: Database, team_id: str) -> Any:
    repo.resolve_case(db, team_id=team_id, case_id=case_id(db, team_id), user_id="U9")
    return repo.reopen_case(db, team_id=team_id, case_id=case_id(db, team_id), user_id="U9")


WriteCall = Callable[[Database, str], Any]
SINCE = datetime.now(UTC) - timedelta(days=1)

READERS: dict[str, ReadCall] = {
    "get_prediction": lambda db, t: repo.get_prediction(
        db, team_id=t, channel_id=CHANNEL, message_ts=TS
    ),
    "recent_predictions": lambda db, t: repo.recent_predictions(db, team_id=t, since=SINCE),
    "label_counts_by_day": lambda db, t: repo.label_counts_by_day(db, team_id=t, since=SINCE),
    "list_feedback": lambda db, t: repo.list_feedback(db, team_id=t),
    "count_feedback": lambda db, t: repo.count_feedback(db, team_id=t),
    "correction_rate": lambda db, t: repo.correction_rate(db, team_id=t, since=SINCE),
    "learning_history": lambda db, t: repo.learning_history(db, team_id=t, since=SINCE),
    "list_approved_replies": lambda db, t: repo.list_approved_replies(db, team_id=t),
    "get_channel_settings": lambda db, t: repo.get_channel_settings(
        db, team_id=t, channel_id=CHANNEL
    ),
    "require_channel_settings": lambda db, t: repo.require_channel_settings(
        db, team_id=t, channel_id=CHANNEL
    ),
    "list_channel_settings": lambda db, t: repo.list_channel_settings(db, team_id=t),
    "list_alerts": lambda db, t: repo.list_alerts(db, team_id=t),
    "list_outbox": lambda db, t: repo.list_outbox(db, team_id=t),
    "list_failed": lambda db, t: repo.list_failed(db, team_id=t),
    "list_admin_actions": lambda db, t: repo.list_admin_actions(db, team_id=t),
    "get_case": lambda db, t: repo.get_case(db, team_id=t, case_id=case_id(db, t)),
    "cases_of_alerts": lambda db, t: repo.cases_of_alerts(db, team_id=t, alert_ids=alert_ids(db)),
    "case_of_message": lambda db, t: repo.case_of_message(
        db, team_id=t, channel_id=CHANNEL, message_ts=TS
    ),
    "list_cases": lambda db, t: repo.list_cases(db, team_id=t),
    "list_case_events": lambda db, t: repo.list_case_events(db, team_id=t, case_id=case_id(db, t)),
    "customer_history": lambda db, t: repo.customer_history(
        db, team_id=t, customer_id="U1", since=SINCE
    ),
    "list_customers": lambda db, t: repo.list_customers(db, team_id=t, since=SINCE),
    "due_followups": lambda db, t: repo.due_followups(db, team_id=t, now=LATER),
    "case_summary": lambda db, t: repo.case_summary(
        db, team_id=t, escalation_channel=ESCALATION, since=SINCE, until=LATER
    ),
    "escalation_channels_with_cases": lambda db, t: repo.escalation_channels_with_cases(
        db, team_id=t
    ),
}

WRITERS: dict[str, WriteCall] = {
    "record_prediction": lambda db, t: repo.record_prediction(
        db, **prediction(team_id=t, channel_id=CHANNEL, message_ts="1700000001.1", text="new")
    ),
    "record_feedback": lambda db, t: repo.record_feedback(
        db,
        label="positive",
        source="button",
        user_id="U9",
        team_id=t,
        channel_id=CHANNEL,
        message_ts=TS,
    ),
    "record_approved_reply": lambda db, t: repo.record_approved_reply(
        db, team_id=t, channel_id=CHANNEL, user_id="U9", message_text="m", reply_text="r"
    ),
    "set_channel_settings": lambda db, t: repo.set_channel_settings(
        db, team_id=t, channel_id=CHANNEL, enabled=False, set_by="U9"
    ),
    "update_channel_settings": lambda db, t: repo.update_channel_settings(
        db, team_id=t, channel_id=CHANNEL, set_by="U9", mode="alert", privacy_mode="ids_only"
    ),
    "record_admin_action": lambda db, t: repo.record_admin_action(
        db, team_id=t, user_id="U9", action="retrain"
    ),
    "delete_message_text": lambda db, t: repo.delete_message_text(
        db, team_id=t, channel_id=CHANNEL, message_ts=TS
    ),
    "delete_workspace": lambda db, t: repo.delete_workspace(db, team_id=t),
    "reserve_slot": lambda db, t: repo.reserve_slot(
        db, team_id=t, scope=f"chat:{CHANNEL}", interval=1.0
    ),
    "hold_scope": lambda db, t: repo.hold_scope(
        db, team_id=t, scope=f"chat:{CHANNEL}", until=datetime.now(UTC) + timedelta(minutes=1)
    ),
    "acknowledge_case": lambda db, t: repo.acknowledge_case(
        db, team_id=t, case_id=case_id(db, t), user_id="U9"
    ),
    "assign_case": lambda db, t: repo.assign_case(
        db, team_id=t, case_id=case_id(db, t), user_id="U9", assignee_id="U8"
    ),
    "resolve_case": lambda db, t: repo.resolve_case(
        db, team_id=t, case_id=case_id(db, t), user_id="U9", note="done"
    ),
    "reopen_case": reopen,
    "record_followup": lambda db, t: repo.record_followup(
        db, team_id=t, case_id=case_id(db, t), target_minutes=15, now=LATER, writes=[]
    ),
}


def repository_functions() -> dict[str, Callable[..., Any]]:
    return {
        name: value for name in repo.__all__ if inspect.isfunction(value := getattr(repo, name))
    }


def seed_workspace(db: Database, team_id: str, words: str) -> None:
    """Everything a workspace keeps, on the shared channel id and ts."""
    repo.set_channel_settings(
        db,
        team_id=team_id,
        channel_id=CHANNEL,
        enabled=True,
        mode="alert",
        privacy_mode="store_text",
        escalation_channel=ESCALATION,
        set_by="UADMIN",
        cases=CaseSettings(response_target_minutes=15),
    )
    reaction = OutboxWrite(
        key=f"react:{team_id}:{CHANNEL}:{TS}",
        method="reactions.add",
        team_id=team_id,
        channel_id=CHANNEL,
        payload={"channel": CHANNEL, "timestamp": TS, "name": "rage"},
    )
    repo.record_prediction(
        db,
        **prediction(team_id=team_id, channel_id=CHANNEL, message_ts=TS, text=words),
        outbox=[reaction],
        alert=AlertWrite(escalation_channel=ESCALATION, confidence=0.9, text=words),
    )
    repo.record_feedback(
        db,
        label="neutral",
        source="modal",
        user_id="UAGENT",
        team_id=team_id,
        channel_id=CHANNEL,
        message_ts=TS,
        note=words,
    )
    repo.record_feedback(
        db, label="negative", source="command", user_id="UAGENT", team_id=team_id, text=words
    )
    repo.record_approved_reply(
        db,
        team_id=team_id,
        channel_id=CHANNEL,
        user_id="UAGENT",
        message_text=words,
        reply_text=f"reply to {words}",
        message_ts=TS,
    )
    repo.record_admin_action(
        db, team_id=team_id, user_id="UADMIN", action="channel_on", detail=words
    )
    repo.enqueue(
        db,
        writes=[
            OutboxWrite(
                key=f"post:{team_id}:refused",
                method="chat.postMessage",
                team_id=team_id,
                channel_id="CGONE",
                payload={"channel": "CGONE", "text": words},
            )
        ],
    )
    for row in repo.claim_due(db, holder="seed", limit=100):
        if row.key == f"post:{team_id}:refused":
            repo.mark_failed(db, row_id=row.id, holder="seed", reason="channel_not_found")


@pytest.fixture
def two_workspaces(db: Database) -> Database:
    seed_model(db)
    seed_workspace(db, A, "words of A")
    seed_workspace(db, B, f"{SECRET} card 4242")
    # B also confirms a label, so the two workspaces' correction rates differ.
    repo.record_prediction(db, **prediction(team_id=B, channel_id=CHANNEL, message_ts="1.2"))
    repo.record_feedback(
        db,
        label="negative",
        source="button",
        user_id="UAGENT",
        team_id=B,
        channel_id=CHANNEL,
        message_ts="1.2",
    )
    return db


def workspace_rows(db: Database, team_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that has a `team_id` column, of one workspace."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "team_id" not in table.c:
                continue
            query = select(table).where(table.c.team_id == team_id)
            found = [tuple(row) for row in connection.execute(query)]
            rows[table.name] = sorted(found, key=repr)
    return rows


def test_every_repository_function_is_scoped_or_declared_instance_level() -> None:
    functions = repository_functions()
    unplaced = set(functions) - set(INSTANCE_LEVEL) - set(READERS) - set(WRITERS)
    assert not unplaced, f"say whether these are instance-level or scoped: {sorted(unplaced)}"
    assert not (set(INSTANCE_LEVEL) | set(READERS) | set(WRITERS)) - set(functions), "stale"
    for name in set(READERS) | set(WRITERS):
        parameter = inspect.signature(functions[name]).parameters.get("team_id")
        assert parameter is not None, f"{name} reads or writes workspace data without team_id"
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameter.default is inspect.Parameter.empty, f"{name}: team_id has a default"


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_reader_for_one_workspace_sees_none_of_the_other(
    two_workspaces: Database, name: str
) -> None:
    db = two_workspaces
    seen = repr(READERS[name](db, A))
    assert B not in seen and SECRET not in seen, f"{name} leaked workspace B: {seen[:300]}"
    assert seen != repr(READERS[name](db, B)), f"{name}: same answer for both, proves nothing"


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_reader_refuses_a_missing_scope(two_workspaces: Database, name: str) -> None:
    """`None` once meant "every workspace"; now it is an error, and every workspace must be
    asked for by name (`ALL_WORKSPACES`)."""
    with pytest.raises(InvalidInput, match="team_id"):
        READERS[name](two_workspaces, None)  # type: ignore[arg-type]


def test_all_workspaces_must_be_named_and_then_sees_both(two_workspaces: Database) -> None:
    both = repo.list_approved_replies(two_workspaces, team_id=ALL_WORKSPACES)
    assert {reply.team_id for reply in both} == {A, B}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_writer_for_one_workspace_leaves_the_other_untouched(
    two_workspaces: Database, name: str
) -> None:
    db = two_workspaces
    before_b, before_a = workspace_rows(db, B), workspace_rows(db, A)
    WRITERS[name](db, A)
    assert workspace_rows(db, B) == before_b, f"{name} for workspace A changed workspace B"
    assert workspace_rows(db, A) != before_a, f"{name} changed nothing: this proves nothing"
