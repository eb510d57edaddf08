"""Private files on disk: the data folder 0700, the SQLite database (and so its -wal/-shm) 0600.

The database holds bot tokens (OAuth mode), feedback text and notes, so neither the folder nor
the files may follow the umask. Modes are set with `chmod` after creating, which the umask does
not filter. SQLite creates `-wal` and `-shm` with the mode of the database file (its unix VFS
copies it and `fchmod`s the new file), so a 0600 database gives 0600 companions.

Only what this module creates is changed: an existing folder is left as it is (it may be a home
directory), and an existing database readable by others gets a warning that says how to fix it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) when missing; the folder itself gets mode 0700."""
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True)
    except FileExistsError:
        return
    path.chmod(PRIVATE_DIR_MODE)


def create_private_file(path: Path) -> bool:
    """Create an empty `path` with mode 0600 unless it exists; True when it was created here."""
    make_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return True


def warn_if_shared(path: Path) -> None:
    """Log one warning when `path` is readable or writable by its group or by others."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        logger.warning(
            "%s has mode %04o: others on this host can read it; run `chmod 600 %s`",
            path,
            mode,
            path,
        )
