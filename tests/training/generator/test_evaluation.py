"""Scoring drafts: BLEU/ROUGE on known cases, latency percentiles, a lineup on tiny generators."""

from __future__ import annotations

import json

import pytest

from models.settings import ModelSettings
from models.types import Draft
from training.errors import DataError, EvaluationError
from training.generator.draft_checks import CHECKS
from training.generator.evaluation import (
    evaluate_generator,
    format_failures,
    format_samples,
    format_table,
    score_drafts,
    write_json,
)
from training.generator.lineup import build_lineup, evaluate_lineup, make_embedder, retrieval_from
from training.generator.meaning import MeaningScorer
from training.generator.pairs import Pair, split_pairs

REFS = ["I'm sorry about the double charge, the refund is on its way.", "Your parcel ships today."]


def test_identical_drafts_score_full_marks() -> None:
    scores = score_drafts(REFS, REFS)
    assert scores.bleu == pytest.approx(100.0)
    assert scores.rouge1 == scores.rouge2 == scores.rougeL == pytest.approx(100.0)


def test_unrelated_drafts_score_near_zero_and_partial_overlap_in_between() -> None:
    unrelated = score_drafts(["Bananas are yellow fruit.", "Quantum physics rocks."], REFS)
    partial = score_drafts(["I'm sorry about the charge, refund soon.", "Your parcel ships."], REFS)
    assert unrelated.bleu < 5 and unrelated.rouge2 == 0
    assert unrelated.rougeL < partial.rougeL < 100
    assert unrelated.bleu < partial.bleu < 100


def test_inconsistent_inputs() -> None:
    with pytest.raises(EvaluationError):
        score_drafts(["one"], REFS)
    with pytest.raises(EvaluationError):
        score_drafts([], [])


class _Timed:
    """A generator that echoes the message and reports the next of `latencies` as its latency."""

    name = "timed"

    def __init__(self, latencies: list[float]) -> None:
        self.latencies = list(latencies)

    def draft(self, message: str, **_: object) -> Draft:
        return Draft(message, "timed", None, self.latencies.pop(0))


def test_latency_percentiles_interpolate() -> None:
    pairs = [Pair("hello there", "hello there"), Pair("bye now", "bye now")]
    report = evaluate_generator("timed", _Timed([0.0, 10.0]), pairs)
    assert report.p50_latency_ms == pytest.approx(5.0)
    assert report.p95_latency_ms == pytest.approx(9.5)


def test_lineup_scores_every_generator_on_the_same_pairs(
    tiny_pairs, tiny_lm_dir, tiny_seq2seq_dir, tmp_path
) -> None:
    splits = split_pairs(tiny_pairs, seed=0)
    settings = ModelSettings(GENERATOR_PRECISION="fp32")
    lineup = build_lineup(["lm", "lm+retrieval", str(tiny_seq2seq_dir)], settings, tiny_lm_dir)
    assert [c.name for c in lineup] == ["lm", "lm+retrieval", "gen-tiny"]
    assert lineup[0].generator is lineup[1].generator  # loaded once
    seen: list[tuple[str, ...]] = []
    retrieve = retrieval_from(splits.train, make_embedder("hashing"), k=2)

    def examples_for(message):
        found = retrieve(message)
        seen.append(tuple(q for q, _ in found))
        return found

    reports = evaluate_lineup(
        lineup,
        splits.test,
        examples_for=examples_for,
        sentiment_for=lambda _: "negative",
        max_new_tokens=8,
        meaning=MeaningScorer(splits.train, make_embedder("hashing")),
    )
    assert len(seen) == len(splits.test)  # only the retrieval contender asked for examples
    train_messages = {p.message for p in splits.train}
    assert all(set(found) <= train_messages for found in seen)  # no test reply leaks in
    for report in reports:
        assert report.n == len(splits.test)
        assert 0 <= report.scores.bleu <= 100 and 0 <= report.scores.rougeL <= 100
        assert report.p50_latency_ms <= report.p95_latency_ms
        assert report.samples and report.samples[0]["draft"]
    samples = format_samples(reports, 2)
    assert samples.count("**Customer:**") == 2
    assert samples.count("| reference |") == 2 and samples.count("| gen-tiny |") == 2
    table = format_table(reports)
    assert table.count("\n") == 4 and "gen-tiny" in table and "lm+retrieval" in table
    for report in reports:
        assert set(report.failures) == {*CHECKS, "unpostable"}
        assert report.semantic_similarity is not None and -100 <= report.semantic_similarity <= 100
        assert all(0 <= rate <= 100 for rate in report.failures.values())
    failures = format_failures(reports)
    assert failures.count("\n") == 4 and "invented contact" in failures
    written = json.loads(write_json(tmp_path / "r.json", reports, {"seed": 0}).read_text())
    assert written["seed"] == 0 and [g["name"] for g in written["generators"]] == [
        "lm",
        "lm+retrieval",
        "gen-tiny",
    ]


def test_a_generator_that_copies_the_reference_wins(tiny_pairs) -> None:
    by_message = {p.message: p.reply for p in tiny_pairs}

    class Oracle:
        name = "oracle"

        def draft(self, message, **kwargs):
            from models.types import Draft

            return Draft(by_message[message], "oracle", None, 1.0)

    report = evaluate_generator("oracle", Oracle(), tiny_pairs[:10])
    assert report.scores.bleu == pytest.approx(100.0)
    assert report.model == "oracle"


def test_unknown_generator_name(tmp_path) -> None:
    with pytest.raises(DataError, match="neither lm"):
        build_lineup([str(tmp_path / "nope")], ModelSettings())
    with pytest.raises(DataError, match="unknown embedder"):
        make_embedder("word2vec")
