"""Micro-batching: texts that arrive together are classified in one forward pass.

Each caller blocks in `predict(text)`. The first caller of a batch waits up to `max_wait`
seconds for more texts (or until `batch_size` are waiting), then runs the model once for all of
them and hands every caller its own prediction. A lone request pays at most `max_wait`.

Example:
    >>> batcher = MicroBatcher(lambda texts: [t.upper() for t in texts], batch_size=32)
    >>> batcher.predict("hi")
    'HI'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

R = TypeVar("R")


@dataclass(eq=False)
class _Pending(Generic[R]):
    text: str
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    finished: bool = False
    result: R | None = None
    error: BaseException | None = None


class MicroBatcher(Generic[R]):
    """Groups concurrent `predict` calls into batches of at most `batch_size`.

    One caller at a time leads: it gathers a batch, runs it and wakes the callers in it; the
    oldest caller still waiting then leads the next batch in its own thread.

    Args:
        run: classifies a list of texts, returning one result per text in order.
        batch_size: most texts per forward pass.
        max_wait: seconds the first text of a batch waits for company.
        on_batch: called with each batch's size (metrics).
    """

    def __init__(
        self,
        run: Callable[[list[str]], Sequence[R]],
        *,
        batch_size: int = 32,
        max_wait: float = 0.005,
        on_batch: Callable[[int], None] = lambda size: None,
    ) -> None:
        self._run = run
        self.batch_size = max(1, batch_size)
        self.max_wait = max(0.0, max_wait)
        self._on_batch = on_batch
        self._lock = threading.Condition()
        self._waiting: list[_Pending[R]] = []
        self._leader_active = False

    @property
    def pending(self) -> int:
        """Texts waiting for a batch (not counting the one running)."""
        with self._lock:
            return len(self._waiting)

    def predict(self, text: str) -> R:
        """Classify `text` together with whatever else arrives now; raise what the model raised."""
        item: _Pending[R] = _Pending(text)
        with self._lock:
            self._waiting.append(item)
            if not self._leader_active:
                self._leader_active = item.leads = True
            elif len(self._waiting) >= self.batch_size:
                self._lock.notify_all()
        while not item.finished:
            if item.leads:
                item.leads = False
                self._lead()
            else:
                item.wake.wait()
                item.wake.clear()
        if item.error is not None:
            raise item.error
        return item.result  # type: ignore[return-value]

    def _lead(self) -> None:
        """Gather one batch (the leader's own text first), run it, pass the lead on."""
        deadline = time.monotonic() + self.max_wait
        with self._lock:
            while len(self._waiting) < self.batch_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            batch = self._waiting[: self.batch_size]
            del self._waiting[: self.batch_size]
        try:
            results = self._run([item.text for item in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"model returned {len(results)} results for {len(batch)} texts")
            for item, result in zip(batch, results, strict=True):
                item.result = result
        except BaseException as exc:  # every caller in the batch learns what went wrong
            for item in batch:
                item.error = exc
        self._on_batch(len(batch))
        with self._lock:
            successor = self._waiting[0] if self._waiting else None
            if successor is None:
                self._leader_active = False
            else:
                successor.leads = True
            for item in batch:
                item.finished = True
                item.wake.set()
            if successor is not None:
                successor.wake.set()
