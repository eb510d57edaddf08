"""Micro-batching: work that arrives together is done in one call (one forward pass for texts
to classify, one transaction for predictions to record).

Each caller blocks in `predict(item)`. The first caller of a batch waits up to `max_wait`
seconds for more items (or until `batch_size` are waiting), then runs the batch once for all of
them and hands every caller its own result. A lone request pays at most `max_wait`.

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

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class _Pending(Generic[T, R]):
    item: T
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    finished: bool = False
    result: R | None = None
    error: BaseException | None = None


class MicroBatcher(Generic[T, R]):
    """Groups concurrent `predict` calls into batches of at most `batch_size`.

    One caller at a time leads: it gathers a batch, runs it and wakes the callers in it; the
    oldest caller still waiting then leads the next batch in its own thread.

    Args:
        run: does a list of items, returning one result per item in order. A result that is an
            exception is raised in that item's caller only; an exception `run` raises reaches
            every caller of the batch.
        batch_size: most items per call of `run`.
        max_wait: seconds the first item of a batch waits for company.
        on_batch: called with each batch's size (metrics).
    """

    def __init__(
        self,
        run: Callable[[list[T]], Sequence[R | BaseException]],
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
        self._waiting: list[_Pending[T, R]] = []
        self._leader_active = False

    @property
    def pending(self) -> int:
        """Items waiting for a batch (not counting the one running)."""
        with self._lock:
            return len(self._waiting)

    def predict(self, work: T) -> R:
        """Do `work` together with whatever else arrives now; raise what failed it."""
        item: _Pending[T, R] = _Pending(work)
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
        """Gather one batch (the leader's own item first), run it, pass the lead on."""
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
            results = self._run([item.item for item in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch returned {len(results)} results for {len(batch)} items")
            for item, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    item.error = result
                else:
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
