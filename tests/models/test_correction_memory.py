"""The correction memory: a workspace's corrections move its own predictions on messages like
them, and nothing else."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.correction_memory import CorrectionMemory, MemoryRule
from models.types import LABELS

UNSURE = np.array([[0.4, 0.35, 0.25]], dtype=np.float32)  # says negative, barely


def unit(*values: float) -> np.ndarray:
    vector = np.array([values], dtype=np.float32)
    normalised: np.ndarray = vector / np.linalg.norm(vector)
    return normalised


def test_a_correction_moves_its_own_workspace_on_a_message_like_it() -> None:
    memory = CorrectionMemory(LABELS)
    memory.replace("TA", unit(1, 0, 0), ["positive"])
    near = unit(1, 0.1, 0)
    for_a = memory.blend(UNSURE, near, ["TA"])
    assert LABELS[int(for_a.argmax())] == "positive"
    assert np.allclose(for_a.sum(), 1.0, atol=1e-5)
    assert np.array_equal(memory.blend(UNSURE, near, ["TB"]), UNSURE)  # another workspace
    assert np.array_equal(memory.blend(UNSURE, near, [None]), UNSURE)  # no workspace


def test_a_message_unlike_every_correction_keeps_the_classifiers_answer() -> None:
    memory = CorrectionMemory(LABELS, rule=MemoryRule(min_similarity=0.3))
    memory.replace("TA", unit(1, 0, 0), ["positive"])
    far = unit(0.2, 1, 0)  # cosine ~0.2, under the threshold
    assert np.array_equal(memory.blend(UNSURE, far, ["TA"]), UNSURE)


def test_rows_of_several_workspaces_in_one_batch_each_get_their_own() -> None:
    memory = CorrectionMemory(LABELS)
    memory.replace("TA", unit(1, 0, 0), ["positive"])
    memory.replace("TB", unit(1, 0, 0), ["neutral"])
    probs = np.repeat(UNSURE, 3, axis=0)
    same = np.repeat(unit(1, 0, 0), 3, axis=0)
    labels = [LABELS[int(i)] for i in memory.blend(probs, same, ["TA", "TB", "TC"]).argmax(1)]
    assert labels == ["positive", "neutral", "negative"]


def test_the_newest_corrections_are_kept_within_capacity() -> None:
    memory = CorrectionMemory(LABELS, capacity=2)
    memory.add("TA", np.vstack([unit(1, 0, 0), unit(0, 1, 0)]), ["positive", "neutral"])
    memory.add("TA", unit(0, 0, 1), ["negative"])
    assert memory.size("TA") == 2
    forgotten = memory.blend(UNSURE, unit(1, 0, 0), ["TA"])
    assert np.array_equal(forgotten, UNSURE)  # the oldest (positive) is gone
    memory.replace("TA", np.zeros((0, 3)), [])
    assert memory.size("TA") == 0


@pytest.mark.parametrize(
    ("embeddings", "labels", "message"),
    [
        (np.zeros((2, 3)), ["positive"], "need"),
        (np.zeros((1, 3)), ["furious"], "unknown labels"),
    ],
)
def test_bad_corrections_are_refused(embeddings: Any, labels: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CorrectionMemory(LABELS).replace("TA", embeddings, labels)


def test_the_predictor_blends_a_workspaces_corrections_from_the_same_pass(
    tiny_predictor: Any,
) -> None:
    text = "my parcel came broken"
    before = tiny_predictor.predict([text])[0]
    corrected = next(label for label in LABELS if label != before.label)
    memory = CorrectionMemory(tiny_predictor.labels, version=tiny_predictor.version)
    memory.replace("TA", tiny_predictor.embed([text]), [corrected])
    tiny_predictor.memory = memory
    for_a, for_b = tiny_predictor.predict([text, text], ["TA", "TB"])
    assert for_a.label == corrected and for_b.label == before.label
    assert tiny_predictor.predict([text])[0] == before  # no workspace given: the model alone
    assert for_b.scores == pytest.approx(before.scores, abs=1e-6)
