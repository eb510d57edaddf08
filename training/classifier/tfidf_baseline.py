"""The TF-IDF + logistic-regression baseline, trained and evaluated like the neural classifier.

Saved as JSON (vocabulary, idf, coefficients), never pickle, in a `tfidf-YYYYmmdd-HHMMSS` directory
with the same metrics.json and report plots as a neural model directory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datasets import DatasetDict
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from models.classifier_io import read_json, write_json
from models.textnorm import normalise_text
from models.types import LABELS
from training.classifier.args import ClassifierTrainingArgs
from training.classifier.evaluation import evaluate_predictions, write_report
from training.classifier.types import TrainResult
from training.errors import TrainingFailed

logger = logging.getLogger(__name__)

MODEL_FILE = "tfidf.json"
VECTORIZER = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "lowercase": True}


class TfidfClassifier:
    """A fitted TF-IDF vectoriser and logistic regression; `predict_proba(texts)` like the predictor."""

    def __init__(
        self, vectorizer: TfidfVectorizer, regression: LogisticRegression, labels: Sequence[str]
    ):
        self.vectorizer, self.regression, self.labels = vectorizer, regression, list(labels)

    @classmethod
    def fit(
        cls, texts: Sequence[str], labels: Sequence[int], weights: Sequence[float], seed: int
    ) -> TfidfClassifier:
        vectorizer = TfidfVectorizer(**VECTORIZER)
        features = vectorizer.fit_transform(texts)
        regression = LogisticRegression(
            C=4.0, max_iter=2000, class_weight="balanced", random_state=seed
        )
        regression.fit(features, np.asarray(labels), sample_weight=np.asarray(weights))
        return cls(vectorizer, regression, LABELS)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        features = self.vectorizer.transform([normalise_text(t) for t in texts])
        probs: np.ndarray = self.regression.predict_proba(features)
        return probs

    def save(self, directory: Path) -> None:
        vocabulary = {term: int(index) for term, index in self.vectorizer.vocabulary_.items()}
        write_json(
            directory / MODEL_FILE,
            {
                "labels": self.labels,
                "vectorizer": {**VECTORIZER, "ngram_range": list(VECTORIZER["ngram_range"])},  # type: ignore[call-overload]
                "vocabulary": vocabulary,
                "idf": self.vectorizer.idf_.tolist(),
                "coef": self.regression.coef_.tolist(),
                "intercept": self.regression.intercept_.tolist(),
            },
        )

    @classmethod
    def load(cls, directory: Path) -> TfidfClassifier:
        data: dict[str, Any] = read_json(Path(directory) / MODEL_FILE)
        if data is None:
            raise TrainingFailed(f"{directory} holds no {MODEL_FILE}")
        params = {**data["vectorizer"], "ngram_range": tuple(data["vectorizer"]["ngram_range"])}
        vectorizer = TfidfVectorizer(**params, vocabulary=data["vocabulary"])
        vectorizer.idf_ = np.asarray(data["idf"])
        regression = LogisticRegression()
        regression.classes_ = np.arange(len(data["labels"]))
        regression.coef_ = np.asarray(data["coef"])
        regression.intercept_ = np.asarray(data["intercept"])
        return cls(vectorizer, regression, data["labels"])


def is_tfidf_dir(directory: Path) -> bool:
    return (Path(directory) / MODEL_FILE).is_file()


def train_tfidf(args: ClassifierTrainingArgs, data: DatasetDict) -> TrainResult:
    """Fit the baseline on the train split, report on the test split, save a model directory."""
    started = time.monotonic()
    train = data["train"]
    model = TfidfClassifier.fit(train["text"], train["label"], train["weight"], args.seed)
    val_f1 = evaluate_predictions(
        data["validation"]["label"], model.predict_proba(data["validation"]["text"])
    )
    test = data["test"]
    probs = model.predict_proba(test["text"])
    metrics = evaluate_predictions(test["label"], probs)
    metrics.update(
        split="test",
        head="tfidf",
        validation_macro_f1=val_f1["macro_f1"],
        train_seconds=round(time.monotonic() - started, 1),
        train_examples=len(train),
    )
    model_dir = args.model_dir("tfidf")
    model_dir.mkdir(parents=True, exist_ok=True)
    model.save(model_dir)
    write_json(model_dir / "metrics.json", metrics)
    write_json(model_dir / "training_args.json", args.to_dict())
    if args.write_plots:
        write_report(model_dir, test["label"], probs, metrics=metrics, history={})
    return TrainResult(model_dir, metrics, {})
