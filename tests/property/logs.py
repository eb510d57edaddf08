"""A log handler for a whole module: pytest's `caplog` is per test, and hypothesis runs many
examples inside one test (a function-scoped fixture would be shared by all of them anyway)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class LogRecorder(logging.Handler):
    """Keeps the records logged while it is installed (werkzeug's access log left out)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name != "werkzeug":
            self.records.append(record)

    def clear(self) -> None:
        self.records.clear()

    def tracebacks(self) -> list[str]:
        """The messages of records that carry a traceback."""
        return [record.getMessage() for record in self.records if record.exc_info]


@contextmanager
def recording() -> Iterator[LogRecorder]:
    """Record every INFO+ record of every logger while the block runs."""
    recorder = LogRecorder()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(recorder)
    root.setLevel(min(previous, logging.INFO) if previous else logging.INFO)
    try:
        yield recorder
    finally:
        root.removeHandler(recorder)
        root.setLevel(previous)
