"""The predictor on ordinary, empty, huge and odd inputs; embeddings; thread safety."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from models.encoder import resolve_precision
from models.errors import ModelConfigError
from models.textnorm import normalise_text
from models.types import LABELS


def _valid(prediction, version="clf-tiny"):
    assert prediction.label in LABELS
    assert math.isclose(sum(prediction.scores.values()), 1.0, abs_tol=1e-4)
    assert prediction.confidence == pytest.approx(max(prediction.scores.values()))
    assert prediction.model_version == version


def test_predicts_in_order_with_scores(tiny_predictor):
    texts = ["my order never arrived", "great thanks", "ok", "why was my flight delayed"]
    predictions = tiny_predictor.predict(texts)
    assert len(predictions) == 4
    for prediction in predictions:
        _valid(prediction)
    # Batching and sorting by length must not change any single text's result.
    alone = [tiny_predictor.predict([t])[0] for t in texts]
    for batched, single in zip(predictions, alone, strict=True):
        assert batched.label == single.label
        assert batched.confidence == pytest.approx(single.confidence, abs=1e-5)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("", "empty text"),
        ("   \n\t ", "empty text"),
        ("😡😡🙂", "emoji or symbols only"),
        ("https://example.com/a?b=c", "link only"),
        ("<https://example.com|example>", "link only"),
    ],
)
def test_texts_without_words_get_a_neutral_result_with_a_note(tiny_predictor, text, note):
    [prediction] = tiny_predictor.predict([text])
    _valid(prediction)
    assert (prediction.label, prediction.note) == ("neutral", note)


def test_huge_text_is_truncated_not_fatal(tiny_predictor):
    [prediction] = tiny_predictor.predict(["my order never arrived " * 2000])  # ~46,000 chars
    _valid(prediction)
    assert "truncated" in prediction.note


def test_non_english_and_odd_inputs(tiny_predictor):
    odd = ["这是一个非常糟糕的服务", "\x00\x01 control", "ça va très bien", "a" * 5000, None]
    predictions = tiny_predictor.predict(odd)
    assert len(predictions) == len(odd)
    for prediction in predictions:
        _valid(prediction)
    assert "not English" in predictions[0].note


def test_empty_list(tiny_predictor):
    assert tiny_predictor.predict([]) == []


def test_version_is_the_directory_name(tiny_predictor, tiny_classifier_dir):
    assert tiny_predictor.version == tiny_classifier_dir.name


def test_embed_is_l2_normalised(tiny_predictor):
    vectors = tiny_predictor.embed(["my order never arrived", "", "great thanks"])
    assert vectors.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_concurrent_calls_agree(tiny_predictor):
    texts = ["my order never arrived", "great thanks", "why"] * 5
    expected = tiny_predictor.predict(texts)
    results: list[object] = []

    def work() -> None:
        results.append(tiny_predictor.predict(texts))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r == expected for r in results) and len(results) == 4


def test_int8_and_bf16_paths_return_valid_predictions(tiny_classifier_dir):
    from models.predictor import SentimentPredictor
    from models.settings import ModelSettings

    for precision in ("int8", "bf16"):
        settings = ModelSettings(CLASSIFIER_PRECISION=precision)
        predictor = SentimentPredictor.load(tiny_classifier_dir, settings)
        assert predictor.precision in ("int8", "bf16", "fp32")
        for prediction in predictor.predict(["my order never arrived", "thanks"]):
            _valid(prediction)


def test_precision_resolution():
    assert resolve_precision("fp32") == "fp32"
    assert resolve_precision("int8") == "int8"
    assert resolve_precision("auto") in ("bf16", "fp32")
    with pytest.raises(ModelConfigError):
        resolve_precision("fp8")


def test_normalise_masks_handles_and_urls():
    assert (
        normalise_text("@United  see https://t.co/x <@U1> www.x.com") == "@user see http @user http"
    )
    assert normalise_text("mail me at a@b.com, more@Blacklist") == "mail me at email, more@user"
