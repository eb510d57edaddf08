"""Failure handling at the listener boundary: log, count, and tell the user a short apology.

Every listener is wrapped in `guarded`. Bolt alone is not enough: when a listener raises after
`ack()`, Bolt's thread runner resets the ack and the request can fall through to the next
listener (Slack then sees a 404). `guarded` catches at the boundary, acks if the listener had
not, logs the traceback and apologises where the user can see it. `@app.error` still catches
whatever fails outside a listener.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.blocks.common import APOLOGY
from bot.services import Services

logger = logging.getLogger(__name__)


def guarded(func: Callable[..., Any]) -> Callable[..., None]:
    """Wrap a Bolt listener so that an exception becomes a log line and an apology.

    The wrapper asks Bolt for the common arguments and passes on only those `func` names.
    """
    names = inspect.getfullargspec(func).args

    def listener(  # Bolt injects arguments by these names
        ack: Any,
        body: dict[str, Any],
        client: WebClient,
        context: Any,
        respond: Any,
        command: Any,
        event: Any,
        action: Any,
        view: Any,
        shortcut: Any,
        say: Any,
    ) -> None:
        given = {
            "ack": ack,
            "body": body,
            "client": client,
            "context": context,
            "respond": respond,
            "command": command,
            "event": event,
            "action": action,
            "view": view,
            "shortcut": shortcut,
            "say": say,
        }
        try:
            func(**{name: given[name] for name in names})
        except Exception as exc:
            if getattr(ack, "response", None) is None:
                ack()
            report_failure(exc, body, client, where=func.__name__)

    listener.__name__ = listener.__qualname__ = func.__name__
    listener.__doc__ = func.__doc__
    return listener


def report_failure(
    error: BaseException, body: dict[str, Any], client: WebClient, *, where: str
) -> None:
    """Log the failure with its traceback and apologise to the user who asked, if anyone did."""
    logger.error("listener failed in %s", where, exc_info=error)
    metrics.count_error(f"listener:{where}")
    try:
        _apologise(body, client)
    except Exception:
        logger.exception("could not send the apology")


def register(app: App, services: Services) -> None:
    """Install `handle_error` as the app's one global error handler."""

    @app.error
    def handle_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
        """Failures outside a guarded listener (middleware, authorization)."""
        report_failure(error, body, client, where=str(body.get("type") or "request"))


def _apologise(body: dict[str, Any], client: WebClient) -> None:
    response_url = body.get("response_url") or _first_response_url(body)
    if response_url:
        WebhookClient(response_url).send(
            text=APOLOGY, response_type="ephemeral", replace_original=False
        )
        return
    user = body.get("user") or {}
    user_id = user.get("id") if isinstance(user, dict) else None
    if body.get("type") in ("view_submission", "block_actions", "shortcut") and user_id:
        client.chat_postMessage(channel=user_id, text=APOLOGY)
    # Events: the author of a message did not ask us anything; the log is the right place.


def _first_response_url(body: dict[str, Any]) -> str | None:
    urls = body.get("response_urls") or []
    if urls and isinstance(urls[0], dict):
        return urls[0].get("response_url")
    return None
