"""The domain errors every command translates into a one-line message and exit code 1."""

from __future__ import annotations

import importlib
import logging

logger = logging.getLogger(__name__)

# module path, class name: the documented exception roots of each layer.
_ERROR_ROOTS = (
    ("models.assets", "AssetError"),
    ("models.errors", "ModelError"),
    ("storage.errors", "StorageError"),
    ("training.errors", "TrainingError"),
    ("bot.serving.errors", "ServingError"),
    ("bot.cli.errors", "CommandError"),
)


class CommandError(Exception):
    """A command cannot do what was asked (bad file, nothing to do); the message says why."""


def known_errors() -> tuple[type[BaseException], ...]:
    """Exception classes that end a command with a one-line message instead of a traceback."""
    found: list[type[BaseException]] = []
    for module_name, class_name in _ERROR_ROOTS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, class_name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)
