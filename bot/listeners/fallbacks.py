"""Catch-alls registered last: unknown actions, views, shortcuts and events are acked and logged."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App

from bot.services import Services

logger = logging.getLogger(__name__)

ANY = re.compile(".*")


def register(app: App, services: Services) -> None:
    """Ack whatever no other listener claimed, so Slack shows no error and does not retry."""

    @app.action(ANY)
    def handle_unknown_action(ack: Ack, body: dict[str, Any]) -> None:
        """An action id this version does not know (old message, renamed button)."""
        ack()
        ids = [a.get("action_id") for a in body.get("actions", []) if isinstance(a, dict)]
        logger.warning("ignored unknown action %s", ids)

    @app.view(ANY)
    def handle_unknown_view(ack: Ack, body: dict[str, Any]) -> None:
        """A view callback this version does not know."""
        ack()
        logger.warning("ignored unknown view %s", (body.get("view") or {}).get("callback_id"))

    @app.shortcut(ANY)
    def handle_unknown_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        """A shortcut callback this version does not know."""
        ack()
        logger.warning("ignored unknown shortcut %s", body.get("callback_id"))

    @app.event(ANY)
    def handle_other_event(ack: Ack, body: dict[str, Any]) -> None:
        """An event type we are subscribed to but do not act on."""
        ack()
        logger.debug("ignored event %s", (body.get("event") or {}).get("type"))
