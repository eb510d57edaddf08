"""A thread-safe holder for a swappable model, so serving never sees a half-swapped state."""

from __future__ import annotations

import logging
import threading
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ModelHolder(Generic[T]):
    """Holds the model a process serves; `swap` replaces it atomically.

    Readers call `get()` once per request and keep the object they got, so a swap in the
    middle of a request never mixes two models.

    Example:
        >>> holder = ModelHolder("v1")
        >>> holder.swap("v2")
        'v1'
        >>> holder.get()
        'v2'
    """

    def __init__(self, model: T | None = None) -> None:
        self._model = model
        self._lock = threading.Lock()

    def get(self) -> T:
        model = self._model
        if model is None:
            raise LookupError("no model loaded")
        return model

    def get_or_none(self) -> T | None:
        return self._model

    def swap(self, model: T | None) -> T | None:
        """Install `model` (None empties the holder) and return the previous one."""
        with self._lock:
            previous, self._model = self._model, model
        return previous
