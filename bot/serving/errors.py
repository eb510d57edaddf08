"""Errors of serving-time work; the CLI turns any of them into a one-line message.

Hierarchy:

    ServingError               root of every serving-time failure
    └── ScheduleError          a cron expression or timezone setting cannot be parsed
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class ServingError(Exception):
    """Root of the serving-time errors."""


class ScheduleError(ServingError):
    """A cron expression or timezone setting cannot be parsed."""
