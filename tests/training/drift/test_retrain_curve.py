"""The learning curve with retraining: the production retrain path on each draw of corrections.

A tiny classifier trained on base vocabulary meets a shift with words it never saw; retraining on
the shift's corrections must lift held-out macro-F1 there, the gate must see it, and the table and
plot must carry the "retrain only" and "both" curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.training.retrain.test_retraining_data import (
    BASE_WORDS,
    SHIFTED_WORDS,
    base_dataset,
    build_tiny_classifier,
    sentences,
    tiny_settings,
    train_tiny_active,
)
from training.drift.learning_curve import Shift, learning_curve, plot_curve
from training.drift.retrain_curve import RECIPES, Recipe, format_study, retrain_curve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def active_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("curve-models")
    return train_tiny_active(build_tiny_classifier(root / "tiny-random"), root / "clf-base")


def test_retraining_on_corrections_lifts_the_shift_and_is_plotted(
    active_dir: Path, database_url: str, tmp_path: Path
) -> None:
    settings = tiny_settings(tmp_path, database_url)
    shifted = sentences(SHIFTED_WORDS, 210, seed=5)
    shift = Shift("shifted-words", pool=shifted[:150], held=shifted[150:])
    base = sentences(BASE_WORDS, 60, seed=9)
    recipe = Recipe.from_settings(settings, name="tiny")
    assert recipe.retrain_learning_rate == settings.training.retrain_learning_rate

    study = retrain_curve(
        active_dir, settings, shift, base, base_dataset(), recipes=[recipe], sizes=[120], seeds=2
    )

    (point,) = study.points
    assert (point.recipe, point.corrections) == ("tiny", 120)
    assert len(point.retrained_shifted) == len(point.both_shifted) == len(point.promoted) == 2
    assert min(point.retrained_shifted) > study.shifted_before + 0.1
    assert all(point.promoted)  # the gate sees the gain on the snapshot's held-out feedback
    table = format_study(study)
    assert "| tiny | 120 |" in table and "2/2" in table and "`tiny`:" in table

    from models.predictor import SentimentPredictor

    predictor = SentimentPredictor.load(active_dir, settings.models)
    memory = learning_curve(predictor, shift, base, sizes=[120], seeds=2)
    png = plot_curve([memory], tmp_path / "curve.png", [study])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_recipes_name_only_retrain_settings(tmp_path: Path, database_url: str) -> None:
    settings = tiny_settings(tmp_path, database_url)
    for recipe in RECIPES.values():
        tuned: Any = recipe.applied(settings).training
        assert tuned.retrain_epochs == recipe.retrain_epochs
        assert tuned.retrain_keep == recipe.retrain_keep
        assert tuned.retrain_max_minutes == 600.0  # steps decide, not the machine's load
