"""Small helpers for the storage tests: a registered model, prediction arguments, row counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, table

from storage.database import Database
from storage.orm import Base
from storage.repositories import register_model_version

SCORES = {"negative": 0.8, "neutral": 0.15, "positive": 0.05}
SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def seed_model(db: Database, version: str = "v1", kind: str = "classifier") -> str:
    """Register (and activate) a model version so predictions can reference it."""
    register_model_version(
        db, kind=kind, version=version, path=f"/models/{version}", status="active"
    )
    return version


def prediction(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of a valid `record_prediction` call (after `seed_model`)."""
    values: dict[str, Any] = {
        "team_id": "T1",
        "channel_id": "C1",
        "message_ts": "1700000000.000100",
        "user_id": "U1",
        "label": "negative",
        "scores": SCORES,
        "model_version": "v1",
        "latency_ms": 4.2,
    }
    values.update(overrides)
    return values


def count(db: Database, name: str) -> int:
    """Rows in table `name`."""
    with db.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table(name))) or 0)


def snapshot(db: Database) -> dict[str, int]:
    """Row counts of every table: equal snapshots mean nothing was written."""
    names = [*Base.metadata.tables, *SLACK_TABLES]
    return {name: count(db, name) for name in names}
