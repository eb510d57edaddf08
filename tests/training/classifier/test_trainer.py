"""Training the classifier on tiny models and data: loss goes down, directories are complete."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import torch

from bot.cli import main
from models.classifier_io import load_classifier
from models.types import LABELS
from tests.fixtures.tiny_models import build_tiny_classifier
from training.classifier.args import ClassifierTrainingArgs
from training.classifier.batching import (
    SOFT_COLUMN,
    class_weights,
    encode,
    iterate_batches,
    length_grouped_batches,
)
from training.classifier.trainer import Trainer, train_classifier
from training.data.labelled import load_labelled
from training.errors import TrainingFailed

WORDS = {
    "negative": "awful terrible bad hate worst",
    "neutral": "the flight is when where",
    "positive": "great love best thanks happy",
}


def _rows(n: int = 30) -> list[tuple[str, str, float]]:
    rng = random.Random(0)
    rows = []
    for label, words in WORDS.items():
        for i in range(n):
            picked = rng.sample(words.split(), 3)
            rows.append((" ".join(picked) + f" {i}", label, 1.0))
    return rows


@pytest.fixture(scope="module")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model, tokenizer = build_tiny_classifier()
    directory = tmp_path_factory.mktemp("encoder")
    model.encoder.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def _args(tmp_path: Path, encoder: Path, **kwargs) -> ClassifierTrainingArgs:
    defaults = {
        "encoder_path": str(encoder),
        "max_len": 16,
        "batch_size": 8,
        "precision": "fp32",
        "models_dir": tmp_path,
        "learning_rate": 1e-3,
        "write_plots": False,
    }
    return ClassifierTrainingArgs(**{**defaults, **kwargs})


def test_a_few_steps_lower_the_loss(tmp_path: Path, tiny_encoder_dir: Path):
    torch.manual_seed(0)
    data = load_labelled(_rows(), seed=0)
    model, tokenizer = build_tiny_classifier()
    trainer = Trainer(
        _args(tmp_path, tiny_encoder_dir), model, tokenizer, data, torch.device("cpu"), "fp32"
    )
    batch = next(iterate_batches(trainer.train, [list(range(24))], 0, torch.device("cpu")))
    model.train()
    losses = [trainer.step(batch) for _ in range(25)]
    assert losses[-1] < losses[0] * 0.8


def test_train_classifier_writes_a_complete_directory(tmp_path: Path, tiny_encoder_dir: Path):
    data = load_labelled(_rows(), seed=0)
    args = _args(tmp_path, tiny_encoder_dir, epochs=2, write_plots=True)
    result = train_classifier(args, data, progress=False)
    assert result.model_dir.parent == tmp_path and result.model_dir.name.startswith("clf-")
    for name in (
        "classifier.json",
        "model.safetensors",
        "tokenizer.json",
        "labels.json",
        "metrics.json",
        "history.json",
        "training_stats.json",
        "roc.png",
        "confusion.png",
        "loss.png",
        "calibration.png",
    ):
        assert (result.model_dir / name).is_file(), name
    stats = json.loads((result.model_dir / "training_stats.json").read_text())
    assert set(stats["label_distribution"]) == set(LABELS) and stats["vocab_counts"]["great"] > 0
    assert result.history["val_macro_f1"] and 0 <= result.metrics["macro_f1"] <= 1
    assert result.metrics["n"] == len(data["test"])


def test_continuing_from_a_saved_model(tmp_path: Path, tiny_encoder_dir: Path):
    data = load_labelled(_rows(), seed=0)
    first = train_classifier(_args(tmp_path, tiny_encoder_dir), data, progress=False)
    extra = [("brand new complaint words", "negative", 5.0)]
    more = load_labelled(_rows(), seed=0, extra=extra)
    second = train_classifier(
        _args(tmp_path, tiny_encoder_dir), more, init_from=first.model_dir, progress=False
    )
    assert second.model_dir != first.model_dir
    assert second.metrics["parent"] == str(first.model_dir)
    _model, _, config = load_classifier(second.model_dir)
    assert config.head == "bilstm"


def _first_batch(data: Any, tmp_path: Path, encoder: Path) -> tuple[Trainer, Any, Any]:
    """A trainer with learning rate 0 and no dropout (a step only reports its loss), its model
    and the batch of train rows 0 and 1."""
    model, tokenizer = build_tiny_classifier()
    model.eval()
    args = _args(tmp_path, encoder, class_weights=False, label_smoothing=0.0)
    trainer = Trainer(args, model, tokenizer, data, torch.device("cpu"), "fp32")
    for group in trainer.optimizer.param_groups:
        group["lr"] = 0.0
    return trainer, model, next(iterate_batches(trainer.train, [[0, 1]], 0, torch.device("cpu")))


def test_sample_weights_scale_the_loss(tmp_path: Path, tiny_encoder_dir: Path):
    trainer, model, batch = _first_batch(load_labelled(_rows(), seed=0), tmp_path, tiny_encoder_dir)
    with torch.no_grad():
        per_example = torch.nn.functional.cross_entropy(
            model(batch.ids, batch.mask), batch.labels, reduction="none"
        )
        weights = torch.tensor([3.0, 1.0])
        expected = (per_example * weights).sum() / weights.sum()
    step = trainer.step(batch._replace(weights=weights))
    assert step == pytest.approx(float(expected), rel=1e-4)


def test_soft_targets_replace_the_label_only_where_given(tmp_path: Path, tiny_encoder_dir: Path):
    """Distillation: a row with a teacher's probabilities learns them; a row of zeros learns its
    label."""
    data = load_labelled(_rows(), seed=0)
    teacher = [[0.2, 0.5, 0.3], [0.0, 0.0, 0.0]] + [[0.0] * 3] * (len(data["train"]) - 2)
    data["train"] = data["train"].add_column(SOFT_COLUMN, teacher)
    trainer, model, batch = _first_batch(data, tmp_path, tiny_encoder_dir)
    assert batch.soft is not None
    with torch.no_grad():
        log_probs = torch.log_softmax(model(batch.ids, batch.mask), dim=-1)
        taught = -(torch.tensor([0.2, 0.5, 0.3]) * log_probs[0]).sum()
        labelled = -log_probs[1, batch.labels[1]]
        expected = (taught + labelled) / 2
    step = trainer.step(batch._replace(weights=torch.ones(2)))
    assert step == pytest.approx(float(expected), rel=1e-4)


def test_batching_helpers(tiny_encoder_dir: Path):
    batches = length_grouped_batches([5, 1, 9, 3, 7, 2, 8], 3, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(7))
    assert class_weights([0, 0, 0, 1], 3).tolist() == pytest.approx([4 / 9, 4 / 3, 1.0])
    data = load_labelled(_rows(), seed=0)
    _, tokenizer = build_tiny_classifier()
    encoded = encode(data["train"], tokenizer, 8)
    assert max(len(x) for x in encoded.ids) <= 8


def test_bad_arguments_raise():
    with pytest.raises(TrainingFailed):
        ClassifierTrainingArgs(head="svm")


def test_tfidf_baseline_trains_and_evaluates_from_the_cli(tmp_path: Path, capsys):
    from training.classifier.tfidf_baseline import TfidfClassifier

    data = load_labelled(_rows(), seed=0)
    result = train_classifier(ClassifierTrainingArgs(head="tfidf", models_dir=tmp_path), data)
    assert result.model_dir.name.startswith("tfidf-") and (result.model_dir / "roc.png").is_file()
    reloaded = TfidfClassifier.load(result.model_dir)
    assert reloaded.predict_proba(["awful terrible bad"]).argmax() == 0
    eval_file = tmp_path / "eval.csv"
    eval_file.write_text("text,label\nawful terrible hate,negative\ngreat love thanks,positive\n")
    code = main(
        [
            "--env-file",
            str(tmp_path / "none.env"),
            "evaluate",
            "--data",
            str(eval_file),
            "--model",
            str(result.model_dir),
            "--json",
            "--report",
            str(tmp_path / "report"),
        ]
    )
    assert code == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n"] == 2 and (tmp_path / "report" / "calibration.png").is_file()


def test_classify_cli_json_lines(tiny_classifier_dir: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("CLASSIFIER_PATH", str(tiny_classifier_dir))
    code = main(["--env-file", str(tmp_path / "none.env"), "classify", "--json", "my order", ""])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["text"] for line in lines] == ["my order", ""]
    assert set(lines[0]) == {"text", "label", "confidence", "scores", "model_version"}
    assert lines[0]["model_version"] == "clf-tiny" and lines[1]["note"] == "empty text"


@pytest.mark.assets
@pytest.mark.slow
# Its fixture really trains (1-2 min on an idle machine, much longer beside a CPU hog): the
# timeout is a safety net for a hang, not a speed target.
@pytest.mark.timeout(2400)
def test_quick_trained_classifier_says_negative_for_a_lost_order(
    quick_trained_classifier_dir: Path,
):
    from models.predictor import SentimentPredictor
    from models.settings import ModelSettings

    predictor = SentimentPredictor.load(quick_trained_classifier_dir, ModelSettings())
    negative, positive = predictor.predict(
        ["my order never arrived and nobody answers", "thank you so much, that was great help!"]
    )
    assert negative.label == "negative"
    assert positive.label == "positive"
    metrics = json.loads((quick_trained_classifier_dir / "metrics.json").read_text())
    assert metrics["macro_f1"] > 0.6
