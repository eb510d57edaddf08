"""Child processes for the crash and multi-scheduler tests: start, wait for a log line, stop.

Also writes the synthetic base data as a CSV file, so a child `triagebot retrain` or
`triagebot scheduler` can read it through `RETRAIN_BASE_DATA`.
"""

from __future__ import annotations

import csv
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from tests.training.test_retraining_data import BASE_WORDS, sentences

REPO_ROOT = Path(__file__).resolve().parents[2]


def write_base_csv(path: Path, count: int, seed: int = 1) -> Path:
    """`count` keyword sentences (balanced labels) as a `text,label` CSV."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "label"])
        writer.writerows(sentences(BASE_WORDS, count, seed))
    return path


class Child:
    """A child process whose merged stdout/stderr is read line by line in a thread."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            list(argv), cwd=REPO_ROOT, env=env, text=True, bufsize=1,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self.lines: list[str] = []
        self._closed = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 240) -> str:
        """The first output line containing `text`; fails if the child ends or times out first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self.lines if text in line), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    self.proc.poll()
                    why = f"exited with {self.proc.returncode}" if self._closed else "timed out"
                    tail = "\n".join(self.lines[-40:])
                    raise AssertionError(f"child {why} before printing {text!r}:\n{tail}")
                self._changed.wait(left)

    def stop(self, sig: int, timeout: float = 60) -> int:
        """Send `sig` (if still running) and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)
