"""Bad input gets a domain error and writes nothing; a failed transaction changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert

from models.types import LABELS
from storage import validation
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.orm import ApprovedReply, ModelVersion
from storage.repositories import (
    activate_model_version,
    finish_training_run,
    record_approved_reply,
    record_feedback,
    record_prediction,
    register_model_version,
    set_channel_settings,
    update_channel_settings,
)
from tests.storage.helpers import prediction, seed_model, snapshot


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"label": "angry"}, InvalidInput),
        ({"label": "Negative"}, InvalidInput),
        ({"scores": {"furious": 1.0}}, InvalidInput),
        ({"scores": {"negative": 1.5}}, InvalidInput),
        ({"team_id": "T" * 65}, InvalidInput),
        ({"channel_id": ""}, InvalidInput),
        ({"message_ts": "1 2"}, InvalidInput),
        ({"text": "x" * 40_001}, InvalidInput),
        ({"text": "nul \x00 inside"}, InvalidInput),  # PostgreSQL cannot store it
        ({"text": "lone \ud800 surrogate"}, InvalidInput),  # not UTF-8: SQLite's driver fails
        ({"user_id": "U\x00"}, InvalidInput),
        ({"latency_ms": -1}, InvalidInput),
        ({"model_version": "never-registered"}, NotFound),
    ],
)
def test_bad_prediction_writes_nothing(
    db: Database, overrides: dict[str, Any], error: type[Exception]
) -> None:
    seed_model(db)
    set_channel_settings(
        db, team_id="T1", channel_id="C1", enabled=True, privacy_mode="store_text", set_by="U9"
    )
    before = snapshot(db)
    with pytest.raises(error):
        record_prediction(db, **prediction(**{"text": "kept if valid", **overrides}))
    assert snapshot(db) == before


def test_bad_feedback_and_replies_write_nothing(db: Database) -> None:
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="label"):
        record_feedback(db, team_id=None, label="meh", source="command", user_id="U1", text="hi")
    with pytest.raises(InvalidInput, match="source"):
        record_feedback(db, team_id=None, label="neutral", source="email", user_id="U1", text="hi")
    with pytest.raises(InvalidInput, match="note"):
        record_feedback(
            db,
            team_id=None,
            label="neutral",
            source="modal",
            user_id="U1",
            text="hi",
            note="n" * 2001,
        )
    with pytest.raises(InvalidInput, match="message"):
        record_feedback(db, label="neutral", source="button", user_id="U1", team_id="T1")
    with pytest.raises(InvalidInput, match="reply_text"):
        record_approved_reply(
            db, team_id="T1", channel_id="C1", user_id="U1", message_text="hi", reply_text=""
        )
    assert snapshot(db) == before


def test_unknown_versions_and_channels(db: Database) -> None:
    seed_model(db)
    before = snapshot(db)
    with pytest.raises(NotFound, match="nope"):
        activate_model_version(db, kind="classifier", version="nope")
    with pytest.raises(NotFound, match="parent"):
        register_model_version(
            db, kind="classifier", version="v2", path="/p", parent_version="parent"
        )
    with pytest.raises(InvalidInput, match="already registered"):
        register_model_version(db, kind="classifier", version="v1", path="/p")
    with pytest.raises(InvalidInput, match="kind"):
        register_model_version(db, kind="regressor", version="v3", path="/p")
    with pytest.raises(InvalidInput, match="not a generator"):
        activate_model_version(db, kind="generator", version="v1")
    with pytest.raises(NotFound, match="not configured"):
        update_channel_settings(db, team_id="T1", channel_id="C404", set_by="U1", enabled=True)
    with pytest.raises(InvalidInput, match="mode"):
        set_channel_settings(db, team_id="T1", channel_id="C1", enabled=True, mode="x", set_by="U")
    with pytest.raises(NotFound):
        finish_training_run(db, run_id=12345, outcome="failed", reason="")
    assert snapshot(db) == before


def test_failed_transaction_leaves_the_database_as_it_was(db: Database) -> None:
    seed_model(db)
    before = snapshot(db)
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.execute(
            insert(ApprovedReply).values(
                team_id="T1", channel_id="C1", user_id="U1", message_text="m", reply_text="r"
            )
        )
        session.add(
            ModelVersion(
                version="v9",
                kind="classifier",
                path="/p",
                status="candidate",
                metrics={},
                data_snapshot={},
            )
        )
        session.flush()
        raise RuntimeError("boom after two writes")
    assert snapshot(db) == before


def test_constraint_violation_becomes_invalid_input_and_rolls_back(db: Database) -> None:
    seed_model(db, "v1")
    register_model_version(db, kind="classifier", version="v2", path="/p")
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="conflicts"), db.transaction() as session:
        session.add(
            ApprovedReply(
                team_id="T", channel_id="C", user_id="U", message_text="m", reply_text="r"
            )
        )
        session.flush()
        row = session.get(ModelVersion, "v2")
        assert row is not None
        row.status = "active"  # a second active classifier: the partial unique index refuses
        session.flush()
    assert snapshot(db) == before


def test_storage_accepts_exactly_the_models_labels() -> None:
    """storage keeps its own copy of the labels (it must not import models): they must agree."""
    assert validation.LABELS == LABELS
