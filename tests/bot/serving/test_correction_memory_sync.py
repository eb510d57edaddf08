"""The serving process's correction memory follows the feedback in the database: new
corrections count at the next refresh, a relabel replaces the old label, a correction whose text
is gone is forgotten, a new model re-embeds, and workspaces stay apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.services import Predictor
from bot.serving.correction_memory import MemorySync
from models.holder import ModelHolder
from models.predictor import SentimentPredictor
from models.settings import ModelSettings
from storage import repositories as repo
from storage.database import Database
from tests.storage.helpers import prediction, seed_model

TEXT = "my parcel came broken"


def other_label(predictor: Any, text: str) -> str:
    before = predictor.predict([text])[0].label
    return next(label for label in predictor.labels if label != before)


def sync_for(db: Database, predictor: Any) -> tuple[MemorySync, ModelHolder[Predictor]]:
    holder: ModelHolder[Predictor] = ModelHolder(predictor)
    return MemorySync(db, holder, capacity=100), holder


def test_a_typed_correction_counts_at_the_next_refresh_in_its_workspace_only(
    sqlite_db: Database, tiny_predictor: Any
) -> None:
    sync, _ = sync_for(sqlite_db, tiny_predictor)
    corrected = other_label(tiny_predictor, TEXT)
    repo.record_feedback(
        sqlite_db, label=corrected, source="modal", user_id="U1", team_id="TA", text=TEXT
    )
    assert sync.refresh() == 1
    for_a, for_b = tiny_predictor.predict([TEXT, TEXT], ["TA", "TB"])
    assert for_a.label == corrected and for_b.label != corrected
    assert sync.refresh() == 0  # nothing new: nothing embedded again


def test_a_relabel_replaces_the_old_label(sqlite_db: Database, tiny_predictor: Any) -> None:
    sync, _ = sync_for(sqlite_db, tiny_predictor)
    first = other_label(tiny_predictor, TEXT)
    second = next(x for x in tiny_predictor.labels if x != first)
    for label in (first, second):
        repo.record_feedback(
            sqlite_db, label=label, source="modal", user_id="U1", team_id="TA", text=TEXT
        )
        sync.refresh()
    assert tiny_predictor.memory.size("TA") == 1
    assert tiny_predictor.predict([TEXT], ["TA"])[0].label == second


def test_a_correction_whose_message_is_deleted_is_forgotten(
    sqlite_db: Database, tiny_predictor: Any
) -> None:
    seed_model(sqlite_db)
    repo.set_channel_settings(
        sqlite_db,
        team_id="TA",
        channel_id="C1",
        enabled=True,
        privacy_mode="store_text",
        set_by="U9",
    )
    repo.record_prediction(sqlite_db, **prediction(team_id="TA", text=TEXT))
    ids = {"team_id": "TA", "channel_id": "C1", "message_ts": prediction()["message_ts"]}
    repo.record_feedback(
        sqlite_db, label=other_label(tiny_predictor, TEXT), source="button", user_id="U1", **ids
    )
    sync, _ = sync_for(sqlite_db, tiny_predictor)
    sync.refresh()
    assert tiny_predictor.memory.size("TA") == 1
    repo.delete_message_text(sqlite_db, **ids)
    sync.refresh(full=True)
    assert tiny_predictor.memory.size("TA") == 0


def test_a_new_model_gets_a_memory_of_its_own_embeddings(
    sqlite_db: Database, tiny_predictor: Any, tiny_classifier_dir: Path
) -> None:
    sync, holder = sync_for(sqlite_db, tiny_predictor)
    repo.record_feedback(
        sqlite_db, label="positive", source="modal", user_id="U1", team_id="TA", text=TEXT
    )
    sync.refresh()
    promoted = SentimentPredictor.load(
        tiny_classifier_dir, ModelSettings(CLASSIFIER_PRECISION="fp32")
    )
    promoted.version = "clf-tiny-2"
    holder.swap(promoted)
    assert sync.refresh() == 1  # embedded again with the new encoder
    assert promoted.memory is not None and promoted.memory.version == "clf-tiny-2"
    assert promoted.memory.size("TA") == 1


def test_stand_in_models_without_an_encoder_are_left_alone(sqlite_db: Database) -> None:
    class Fixed:
        version = "fixed"

        def predict(self, texts: list[str], team_ids: object = None) -> list[Any]:
            return []

    holder: ModelHolder[Any] = ModelHolder(Fixed())
    assert MemorySync(sqlite_db, holder, capacity=10).refresh() == 0
