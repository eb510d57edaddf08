"""The storage layer's exceptions: one small hierarchy, raised where the problem is known.

    StorageError                 root: every storage failure a caller can act on
    ├── InvalidInput             a value breaks a rule (unknown label, too long, bad choice);
    │                            nothing was written
    ├── NotFound                 a referenced row does not exist (model version, channel,
    │                            training run); nothing was written
    ├── SchemaOutdated           the database is behind the code's migrations: run
    │                            `triagebot db upgrade`
    └── DatabaseUnavailable      the database cannot be reached or stayed locked

Callers translate these at their boundary (listener, job, CLI); the CLI prints them as one line.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class StorageError(Exception):
    """Root of the storage layer's errors."""


class InvalidInput(StorageError):
    """A value breaks a rule (unknown label, over-long field, bad choice); nothing was written."""


class NotFound(StorageError):
    """A referenced row (model version, channel settings, training run) does not exist."""


class SchemaOutdated(StorageError):
    """The database schema is older (or newer) than the code's migrations."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached, refused the connection or stayed locked."""
