"""The micro-batcher: concurrent texts share one forward pass; every caller gets its own answer."""

from __future__ import annotations

import threading

import pytest

from bot.jobs.batcher import MicroBatcher


class GatedModel:
    """Uppercases texts; the first batch waits for `gate` so the rest pile up behind it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()

    def __call__(self, texts: list[str]) -> list[str]:
        self.batches.append(list(texts))
        self.entered.set()
        self.gate.wait(60)
        return [t.upper() for t in texts]


def run_all(batcher: MicroBatcher[str, str], texts: list[str]) -> dict[str, str]:
    results: dict[str, str] = {}

    def call(text: str) -> None:
        results[text] = batcher.predict(text)

    threads = [threading.Thread(target=call, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_lone_text_is_classified_alone() -> None:
    model = GatedModel()
    model.gate.set()
    batcher = MicroBatcher(model, batch_size=8, max_wait=0)
    assert batcher.predict("hello") == "HELLO"
    assert model.batches == [["hello"]]


def test_texts_that_wait_behind_a_running_batch_share_the_next_pass() -> None:
    model = GatedModel()
    batcher = MicroBatcher(model, batch_size=8, max_wait=0)
    first = threading.Thread(target=batcher.predict, args=("first",))
    first.start()
    assert model.entered.wait(60)
    texts = [f"text {i}" for i in range(20)]
    waiting = threading.Thread(target=lambda: results.update(run_all(batcher, texts)))
    results: dict[str, str] = {}
    waiting.start()
    # Release only once all 20 are queued behind the running batch.
    never = threading.Event()
    while batcher.pending < 20:
        never.wait(0.01)
    model.gate.set()
    waiting.join(60)
    first.join(60)
    assert results == {t: t.upper() for t in texts}
    sizes = [len(b) for b in model.batches]
    assert sizes[0] == 1 and sum(sizes) == 21
    assert max(sizes[1:]) == 8, f"queued texts were not batched: {sizes}"
    assert len(sizes) == 1 + 3  # 20 waiting texts in batches of 8, 8, 4


def test_a_model_error_reaches_every_caller_of_its_batch_and_the_batcher_recovers() -> None:
    calls = {"n": 0}

    def flaky(texts: list[str]) -> list[str]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model exploded")
        return texts

    batcher = MicroBatcher(flaky, batch_size=4, max_wait=0)
    with pytest.raises(RuntimeError, match="exploded"):
        batcher.predict("a")
    assert batcher.predict("b") == "b"


def test_a_model_that_returns_the_wrong_number_of_results_is_an_error() -> None:
    batcher: MicroBatcher[str, str] = MicroBatcher(lambda texts: [], batch_size=4, max_wait=0)
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        batcher.predict("a")


def test_a_result_that_is_an_error_fails_only_its_own_caller() -> None:
    """Recording a batch of predictions: one refused write fails its job, not its neighbours."""

    def record(items: list[str]) -> list[str | Exception]:
        return [ValueError(f"refused {item}") if item == "bad" else item for item in items]

    batcher: MicroBatcher[str, str] = MicroBatcher(record, batch_size=4, max_wait=0)
    with pytest.raises(ValueError, match="refused bad"):
        batcher.predict("bad")
    assert batcher.predict("good") == "good"
