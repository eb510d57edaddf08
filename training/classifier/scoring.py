"""Label probabilities from any saved classifier directory: a neural model or the TF-IDF baseline."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from models.predictor import SentimentPredictor
from models.settings import ModelSettings
from training.classifier.tfidf_baseline import TfidfClassifier, is_tfidf_dir

logger = logging.getLogger(__name__)


def score_model_dir(
    directory: Path, texts: list[str], settings: ModelSettings
) -> tuple[np.ndarray, list[str]]:
    """Label probabilities (N, L) of `texts` and the label names, from a neural or TF-IDF model.

    Args:
        directory: a saved classifier directory (BiLSTM or linear head) or a TF-IDF baseline.
        texts: normalised texts, as the datasets of `training.data.labelled` hold them.
        settings: precision, token budget and threads of the neural predictor.
    """
    if is_tfidf_dir(directory):
        tfidf = TfidfClassifier.load(directory)
        return tfidf.predict_proba(texts), tfidf.labels
    predictor = SentimentPredictor.load(directory, settings)
    return predictor.predict_proba(texts), predictor.labels
