"""Migrations: empty -> head, previous revision -> head, one step down and up, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage import migrations
from storage.database import Database
from storage.errors import SchemaOutdated
from storage.orm import Base
from storage.repositories import (
    CaseSettings,
    OutboxWrite,
    acquire_lease,
    create_api_token,
    enqueue,
    get_channel_settings,
    get_prediction,
    list_model_versions,
    record_prediction,
    set_channel_settings,
    use_api_token,
)
from storage.workspaces import ALL_WORKSPACES
from tests.storage.helpers import SLACK_TABLES, prediction, seed_model

PREVIOUS, HEAD = "0005", "0006"
BEFORE_SCOPE, SCOPE = "0004", "0005"  # revision 0005 gave sessions and tokens a workspace
REACTION = OutboxWrite(key="react:T1:C1:1.1", method="reactions.add", team_id="T1", channel_id="C1")
DIGEST = "ab" * 32
TS = "1700000000.000100"
SCOPED_BY_HEAD = ("dashboard_sessions", "api_tokens")  # revision 0005 adds their team_id
CASE_TABLES = ("cases", "case_events")  # revision 0006
CASE_SETTINGS = ("response_target_minutes", "auto_resolve_on_reply", "oncall_group")


@pytest.fixture
def empty_db(empty_database_url: str) -> Iterator[Database]:
    database = Database.from_url(empty_database_url)
    yield database
    database.dispose()


def _tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_head_is_the_newest_revision_file() -> None:
    assert migrations.head_revision() == HEAD


def test_empty_database_upgrades_to_head(empty_db: Database) -> None:
    assert empty_db.current_revision() is None
    with pytest.raises(SchemaOutdated, match=r"no schema yet.*triagebot db upgrade"):
        empty_db.check_current()

    assert empty_db.upgrade() == migrations.head_revision()

    empty_db.check_current()
    assert _tables(empty_db) == set(Base.metadata.tables) | set(SLACK_TABLES)
    assert empty_db.upgrade() == migrations.head_revision()  # a second upgrade is a no-op


def test_migrated_schema_matches_the_orm(empty_db: Database) -> None:
    empty_db.upgrade()
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_slack}
        )
        assert compare_metadata(context, Base.metadata) == []


def _not_slack(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """slack_sdk's tables are created by the migration but are not on our metadata."""
    table = name if type_ == "table" else parent_names.get("table_name")
    return table not in SLACK_TABLES


def _scoped_tables(db: Database) -> set[str]:
    """The tables that carry a `team_id` scope column (added by revision 0005)."""
    inspector = inspect(db.engine)
    return {
        table
        for table in SCOPED_BY_HEAD
        if "team_id" in {column["name"] for column in inspector.get_columns(table)}
    }


def test_revision_0004_upgrades_to_0005_keeping_data(empty_db: Database) -> None:
    assert empty_db.upgrade(BEFORE_SCOPE) == BEFORE_SCOPE
    assert not _scoped_tables(empty_db)
    seed_model(empty_db)
    record_prediction(empty_db, **prediction())
    with empty_db.engine.begin() as connection:  # a token made before tokens had a scope
        connection.execute(
            text("INSERT INTO api_tokens (name, token_digest, created_at) VALUES (:n, :d, :c)"),
            {"n": "old", "d": DIGEST, "c": datetime.now(UTC)},
        )
    with pytest.raises(SchemaOutdated, match=f"revision {BEFORE_SCOPE}, the code needs {HEAD}"):
        empty_db.check_current()

    assert empty_db.upgrade(SCOPE) == SCOPE

    assert _scoped_tables(empty_db) == set(SCOPED_BY_HEAD)
    assert [v.version for v in list_model_versions(empty_db)] == ["v1"]
    kept = get_prediction(empty_db, team_id="T1", channel_id="C1", message_ts="1700000000.000100")
    assert kept is not None and kept.label == "negative"
    assert acquire_lease(empty_db, name="retrain", holder="h", ttl_seconds=5)
    assert enqueue(empty_db, writes=[REACTION]) == 1
    old = use_api_token(empty_db, token_digest=DIGEST)
    assert old is not None and old.scope is ALL_WORKSPACES  # it saw every workspace before
    scoped = create_api_token(empty_db, name="ci", token_digest="cd" * 32, team_id="T1")
    assert scoped.scope == "T1"


def test_downgrade_0005_to_0004_and_upgrade_again(empty_db: Database) -> None:
    empty_db.upgrade(SCOPE)
    seed_model(empty_db)
    acquire_lease(empty_db, name="retrain", holder="h", ttl_seconds=5)
    enqueue(empty_db, writes=[REACTION])
    create_api_token(empty_db, name="ops", token_digest=DIGEST, team_id=ALL_WORKSPACES)
    create_api_token(empty_db, name="ci", token_digest="cd" * 32, team_id="T1")

    assert empty_db.downgrade("-1") == BEFORE_SCOPE

    assert not _scoped_tables(empty_db)
    assert [v.version for v in list_model_versions(empty_db)] == ["v1"]  # older data stays
    assert not acquire_lease(empty_db, name="retrain", holder="other", ttl_seconds=5)
    assert enqueue(empty_db, writes=[REACTION]) == 0  # the outbox (0003) kept its row
    with empty_db.engine.connect() as connection:  # a one-workspace token is not widened
        assert connection.execute(text("SELECT name FROM api_tokens")).scalars().all() == ["ops"]

    assert empty_db.upgrade(SCOPE) == SCOPE
    again = use_api_token(empty_db, token_digest=DIGEST)
    assert again is not None and again.scope is ALL_WORKSPACES
    assert use_api_token(empty_db, token_digest="cd" * 32) is None


def test_downgrade_to_base_removes_every_table(empty_db: Database) -> None:
    empty_db.upgrade()
    assert empty_db.downgrade("base") is None
    assert _tables(empty_db) == set()


def _case_schema(db: Database) -> tuple[set[str], set[str]]:
    """The case tables and the case columns of channel settings that exist (revision 0006)."""
    inspector = inspect(db.engine)
    columns = {column["name"] for column in inspector.get_columns("channel_settings")}
    return set(CASE_TABLES) & _tables(db), set(CASE_SETTINGS) & columns


def test_previous_revision_upgrades_to_head_keeping_data(empty_db: Database) -> None:
    assert empty_db.upgrade(PREVIOUS) == PREVIOUS
    assert _case_schema(empty_db) == (set(), set())
    seed_model(empty_db)
    record_prediction(empty_db, **prediction())
    with empty_db.engine.begin() as connection:  # the ORM already knows the newer columns
        connection.execute(
            text(
                "INSERT INTO channel_settings (team_id, channel_id, enabled, mode, privacy_mode,"
                " set_by, updated_at) VALUES ('T1', 'C1', :on, 'alert', 'ids_only', 'U1', :at)"
            ),
            {"on": True, "at": datetime.now(UTC)},
        )
    with pytest.raises(SchemaOutdated, match=f"revision {PREVIOUS}, the code needs {HEAD}"):
        empty_db.check_current()

    assert empty_db.upgrade() == HEAD

    empty_db.check_current()
    assert _case_schema(empty_db) == (set(CASE_TABLES), set(CASE_SETTINGS))
    kept = get_channel_settings(empty_db, team_id="T1", channel_id="C1")
    assert kept is not None and kept.mode == "alert"
    assert kept.response_target_minutes is None and kept.auto_resolve_on_reply is False
    assert get_prediction(empty_db, team_id="T1", channel_id="C1", message_ts=TS) is not None


def test_downgrade_one_step_and_upgrade_again(empty_db: Database) -> None:
    empty_db.upgrade()
    seed_model(empty_db)
    set_channel_settings(
        empty_db,
        team_id="T1",
        channel_id="C1",
        enabled=True,
        mode="alert",
        set_by="U1",
        cases=CaseSettings(response_target_minutes=15, auto_resolve_on_reply=True),
    )

    assert empty_db.downgrade("-1") == PREVIOUS

    assert _case_schema(empty_db) == (set(), set())
    assert [v.version for v in list_model_versions(empty_db)] == ["v1"]  # older data stays
    assert empty_db.upgrade() == HEAD
    again = get_channel_settings(empty_db, team_id="T1", channel_id="C1")
    assert again is not None and again.enabled and again.response_target_minutes is None
