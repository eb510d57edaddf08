"""Bolt listeners, one module per group, each with `register(app, services)`."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import (
    acks,
    actions,
    cases,
    commands,
    errors,
    events,
    fallbacks,
    functions,
    home,
    modals,
    shortcuts,
    triage_command,
)
from bot.services import Services

GROUPS = (
    acks,
    errors,
    commands,
    triage_command,
    events,
    functions,
    shortcuts,
    actions,
    cases,
    modals,
    home,
)


def register_all(app: App, services: Services) -> None:
    """Register every listener group, then the catch-alls (Bolt runs the first match)."""
    for group in GROUPS:
        group.register(app, services)
    fallbacks.register(app, services)
