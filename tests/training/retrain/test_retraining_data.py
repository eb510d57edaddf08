"""Synthetic, learnable data and tiny models for the retraining tests (helpers + their own checks).

Sentences are keyword-driven: the label follows from one keyword, the rest is filler, so a tiny
model learns them in seconds and "better" is real, not noise. `SHIFTED_WORDS` are new words
the base data never uses (the "drift"); `rotated` corrupts labels.
Also imported by the subprocess scripts of the kill and scheduler tests.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.types import LABELS

BASE_WORDS = {
    "negative": ["awful", "broken", "terrible", "hate", "worst", "useless"],
    "neutral": ["question", "schedule", "invoice", "address", "meeting", "form"],
    "positive": ["thanks", "great", "love", "awesome", "perfect", "excellent"],
}
SHIFTED_WORDS = {
    "negative": ["laggy", "bricked", "outage", "glitchy", "borked"],
    "neutral": ["roadmap", "changelog", "sku", "eta", "webinar"],
    "positive": ["stellar", "chuffed", "brilliant", "smashing", "kudos"],
}
FILLERS = [
    "the app",
    "my order",
    "support",
    "today",
    "this week",
    "the team",
    "your service",
    "the update",
    "our account",
    "the dashboard",
    "login",
    "billing",
]


def sentences(words: dict[str, list[str]], count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (text, label) rows, balanced over labels, deterministic for a seed."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = LABELS[i % 3]
        text = f"{rng.choice(FILLERS)} {rng.choice(words[label])} {rng.choice(FILLERS)} {i}"
        rows.append((text, label))
    rng.shuffle(rows)
    return rows


def rotated(rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Corrupt labels: negative -> positive -> neutral -> negative."""
    turn = {"negative": "positive", "positive": "neutral", "neutral": "negative"}
    return [(text, turn[label]) for text, label in rows]


def base_dataset(seed: int = 1) -> Any:
    """A DatasetDict of base-vocabulary sentences (train 600, validation 90, test 150)."""
    from datasets import DatasetDict

    from training.data.labelled import clean_frame, rows_frame, to_dataset

    rows = sentences(BASE_WORDS, 840, seed)
    parts = {"train": rows[:600], "validation": rows[600:690], "test": rows[690:]}
    return DatasetDict(
        {
            name: to_dataset(clean_frame(rows_frame(part), origin=name))
            for name, part in parts.items()
        }
    )


def build_tiny_classifier(directory: Path) -> Path:
    """A random tiny BiLSTM classifier (BERT hidden 32, 2 layers) with the MiniLM tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from models.assets import minilm_dir
    from models.classifier import ClassifierConfig, SentimentClassifier
    from models.classifier_io import save_classifier

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    encoder = BertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=128,
        )
    )
    config = ClassifierConfig(encoder_dim=32, lstm_hidden=16, max_tokens=32, encoder_source="tiny")
    save_classifier(SentimentClassifier(config, encoder), tokenizer, directory)
    return directory


def train_tiny_active(tiny_dir: Path, output_dir: Path) -> Path:
    """Train the tiny classifier on the base sentences: the "active model" of the tests."""
    from training.classifier.args import ClassifierTrainingArgs
    from training.classifier.trainer import train_classifier

    args = ClassifierTrainingArgs(
        epochs=4,
        max_len=32,
        batch_size=16,
        learning_rate=3e-3,
        head_learning_rate=3e-3,
        warmup_ratio=0.0,
        precision="fp32",
        output_dir=output_dir,
        models_dir=output_dir.parent,
        write_plots=False,
        evals_per_epoch=1,
        patience=10,
        time_budget_minutes=2,
    )
    return Path(
        train_classifier(args, base_dataset(), init_from=tiny_dir, progress=False).model_dir
    )


def tiny_settings(data_dir: Path, database_url: str, **training: Any) -> Any:
    """Settings for retraining tiny models quickly (fp32, high learning rate, small samples)."""
    from bot.settings import load_settings

    values = {
        "RETRAIN_BASE_SAMPLE": 300,
        "RETRAIN_MAX_STEPS": 60,
        "RETRAIN_BATCH_SIZE": 16,
        "RETRAIN_LEARNING_RATE": 3e-3,
        "RETRAIN_MAX_TOKENS": 32,
        "RETRAIN_EVAL_SAMPLE": 150,
        "RETRAIN_HOLDOUT_PERCENT": 30,
        "RETRAIN_MIN_HOLDOUT": 5,
        "PROMOTION_MARGIN": 0.05,
        "RETRAIN_MIN_FEEDBACK": 0,
        "RETRAIN_LEASE_SECONDS": 30,
    }
    values.update(training)
    return load_settings(
        None,
        storage={"DATABASE_URL": database_url, "DATA_DIR": str(data_dir)},
        models={"DATA_DIR": str(data_dir), "CLASSIFIER_PRECISION": "fp32"},
        training={"DATA_DIR": str(data_dir), **values},
    )


def test_sentences_are_deterministic_and_balanced() -> None:
    rows = sentences(BASE_WORDS, 90, seed=3)
    assert rows == sentences(BASE_WORDS, 90, seed=3)
    assert {label: sum(1 for _, x in rows if x == label) for label in LABELS} == {
        "negative": 30,
        "neutral": 30,
        "positive": 30,
    }


def test_shifted_words_never_occur_in_base_sentences() -> None:
    base_text = " ".join(text for text, _ in sentences(BASE_WORDS, 600, seed=1))
    for words in SHIFTED_WORDS.values():
        assert not any(f" {word} " in base_text for word in words)


def test_rotated_changes_every_label() -> None:
    rows = sentences(BASE_WORDS, 30, seed=2)
    assert all(a[1] != b[1] for a, b in zip(rows, rotated(rows), strict=True))
