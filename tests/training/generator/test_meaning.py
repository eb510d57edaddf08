"""Semantic similarity and intent accuracy of drafts, with the hashing embedder (no weights)."""

from __future__ import annotations

import pytest

from models.retrieval import HashingEmbedder
from training.errors import EvaluationError
from training.generator.meaning import MeaningScorer
from training.generator.pairs import Pair

TRAIN = [
    Pair("refund please", "Your refund is on its way to your card within days.", "get_refund"),
    Pair("money back?", "We issued a refund to your card; it shows within days.", "get_refund"),
    Pair(
        "where is my parcel", "Your parcel is with the courier; track the delivery here.", "track"
    ),
    Pair(
        "late delivery",
        "The courier has your parcel; the delivery tracking link shows it.",
        "track",
    ),
    Pair("hello", "Hi there!", ""),  # no intent: not a centroid
]


@pytest.fixture
def scorer() -> MeaningScorer:
    return MeaningScorer(TRAIN, HashingEmbedder())


def test_intent_centroids_come_from_train_replies_with_an_intent(scorer: MeaningScorer) -> None:
    assert scorer.intents == ["get_refund", "track"]


def test_a_draft_on_the_customers_intent_counts_and_an_off_topic_one_does_not(
    scorer: MeaningScorer,
) -> None:
    drafts = ["A refund to your card is on its way.", "Track your parcel with the courier link."]
    assert scorer.intent_accuracy(drafts, ["get_refund", "track"]) == 100.0
    assert scorer.intent_accuracy(drafts, ["track", "get_refund"]) == 0.0
    assert scorer.intent_accuracy(drafts, ["", "unknown"]) is None  # nothing to judge


def test_similarity_ranks_a_paraphrase_above_an_unrelated_draft(scorer: MeaningScorer) -> None:
    reference = ["Your refund is on its way to your card within days."]
    close = scorer.similarity(["Your refund is on its way to your card."], reference)
    far = scorer.similarity(["The weather in the mountains is lovely."], reference)
    assert scorer.similarity(reference, reference) == pytest.approx(100.0, abs=0.01)
    assert 0 <= far < close < 100


def test_ceiling_judges_the_references_and_mismatched_inputs_raise(scorer: MeaningScorer) -> None:
    assert scorer.ceiling(TRAIN[:4]) == 100.0
    with pytest.raises(EvaluationError):
        scorer.similarity(["one"], [])
    with pytest.raises(EvaluationError):
        scorer.intent_accuracy(["one"], [])
