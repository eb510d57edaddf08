"""retrain_once with tiny models: a better candidate is promoted, a corrupted one is rejected."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from storage import repositories as repo
from storage.database import Database
from tests.training.retrain.test_retraining_data import (
    BASE_WORDS,
    SHIFTED_WORDS,
    base_dataset,
    build_tiny_classifier,
    rotated,
    sentences,
    tiny_settings,
    train_tiny_active,
)
from training.retrain.run import retrain_once

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained_active_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny classifier trained on the base sentences (once per module)."""
    root = tmp_path_factory.mktemp("retrain-models")
    tiny = build_tiny_classifier(root / "tiny-random")
    return train_tiny_active(tiny, root / "clf-base")


def _activate(db: Database, model_dir: Path, tmp_path: Path) -> str:
    """Copy the model into this test's data dir and make it the active classifier."""
    target = tmp_path / "models" / model_dir.name
    shutil.copytree(model_dir, target)
    repo.register_model_version(
        db, kind="classifier", version=target.name, path=str(target), status="active"
    )
    return target.name


def _store_feedback(db: Database, rows: Sequence[tuple[str, str]]) -> None:
    for number, (text, label) in enumerate(rows):
        repo.record_feedback(
            db, team_id=None, label=label, source="command", user_id=f"U{number % 4}", text=text
        )


@pytest.mark.parametrize("distill", [False, True], ids=["base-labels", "distilled"])
def test_better_candidate_is_registered_and_promoted(
    db: Database, database_url: str, trained_active_dir: Path, tmp_path: Path, distill: bool
) -> None:
    """Also with RETRAIN_DISTILL: base rows learn the active model's probabilities."""
    settings = tiny_settings(tmp_path, database_url, RETRAIN_DISTILL=distill)
    active = _activate(db, trained_active_dir, tmp_path)
    _store_feedback(db, sentences(SHIFTED_WORDS, 150, seed=7))

    result = retrain_once(
        "admin", db=db, settings=settings, requested_by="U-ADMIN", base_data=base_dataset()
    )

    assert result.outcome == "promoted", result.reason
    now_active = repo.get_active_model_version(db, kind="classifier")
    assert now_active is not None and now_active.version == result.candidate_version
    assert now_active.parent_version == active
    scores = result.metrics
    assert scores["candidate"]["feedback"]["macro_f1"] > scores["active"]["feedback"]["macro_f1"]
    run = repo.list_training_runs(db, limit=1)[0]
    assert (run.outcome, run.trigger, run.requested_by) == ("promoted", "admin", "U-ADMIN")
    assert run.data_counts["feedback_train"] > 0 and run.data_counts["feedback_holdout"] >= 5
    assert run.metrics["active"]["base"]["n"] == run.metrics["candidate"]["base"]["n"]
    assert "retrain run" in run.log_excerpt
    assert (Path(now_active.path) / "training_stats.json").is_file()


def test_candidate_trained_on_corrupted_labels_is_rejected(
    sqlite_db: Database, trained_active_dir: Path, tmp_path: Path
) -> None:
    url = str(sqlite_db.engine.url)
    settings = tiny_settings(tmp_path, url, FEEDBACK_WEIGHT=5.0)
    active = _activate(sqlite_db, trained_active_dir, tmp_path)
    _store_feedback(sqlite_db, rotated(sentences(BASE_WORDS, 300, seed=11)))

    result = retrain_once("cli", db=sqlite_db, settings=settings, base_data=base_dataset())

    assert result.outcome == "rejected", result.reason
    assert "worse on the base test set" in result.reason
    still = repo.get_active_model_version(sqlite_db, kind="classifier")
    assert still is not None and still.version == active
    candidate = repo.get_model_version(sqlite_db, version=str(result.candidate_version))
    assert candidate.status == "rejected" and Path(candidate.path).is_dir()
    assert repo.list_training_runs(sqlite_db, limit=1)[0].outcome == "rejected"


def test_scheduled_retrain_without_enough_feedback_is_skipped_and_recorded(
    sqlite_db: Database, tmp_path: Path
) -> None:
    settings = tiny_settings(tmp_path, str(sqlite_db.engine.url), RETRAIN_MIN_FEEDBACK=5)
    repo.register_model_version(
        sqlite_db, kind="classifier", version="clf-x", path=str(tmp_path), status="active"
    )
    _store_feedback(sqlite_db, sentences(SHIFTED_WORDS, 3, seed=1))

    result = retrain_once("schedule", db=sqlite_db, settings=settings)

    assert result.outcome == "skipped" and "3 new feedback" in result.reason
    assert repo.list_training_runs(sqlite_db, limit=1)[0].outcome == "skipped"


def test_retrain_without_active_model_fails_cleanly(sqlite_db: Database, tmp_path: Path) -> None:
    settings = tiny_settings(tmp_path, str(sqlite_db.engine.url))
    result = retrain_once("admin", db=sqlite_db, settings=settings)
    assert result.outcome == "failed" and "no active classifier" in result.reason
    assert repo.acquire_lease(sqlite_db, name="retrain", holder="someone-else", ttl_seconds=5)
