"""Write a directory all at once: fill a temporary sibling, then swap it into place.

Every saved model directory (classifier, seq2seq generator, converted GGUF) is written this way,
so a crash or an error half-way leaves the previous directory as it was and no partial one.

Example:
    >>> with write_dir_atomically(Path("models/clf-1")) as tmp:
    ...     (tmp / "config.json").write_text("{}")
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)


@contextmanager
def write_dir_atomically(target: Path) -> Iterator[Path]:
    """Yield an empty temporary directory next to `target`; on success it becomes `target`.

    The temporary directory sits in `target`'s parent (same file system, so the final rename is
    atomic) under a hidden name. When the block raises, it is removed and an existing `target`
    stays untouched; when the block succeeds, it replaces `target` (an existing one is moved
    aside first and deleted after the swap).

    Args:
        target: the directory to write; its parent is created when missing.

    Yields:
        The temporary directory to fill.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, "new")
    tmp.mkdir()  # the usual permissions (umask), unlike mkdtemp's 0700
    try:
        yield tmp
        _swap_into_place(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _sibling(target: Path, role: str) -> Path:
    """A hidden, unused name next to `target`."""
    return target.with_name(f".{target.name}-{role}-{uuid.uuid4().hex[:12]}")


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename `tmp` to `target`; an existing `target` is put back if the rename fails."""
    if not target.exists() and not target.is_symlink():
        os.replace(tmp, target)
        return
    old = _sibling(target, "old")
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old, target)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink()
