"""One Slack call, its answer turned into an `Outcome`; never retries or sleeps by itself."""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.outbox.outcomes import Outcome, from_http

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10
# Failures of the connection itself: Slack may never have seen the call, so retrying is safe
# for the idempotent methods and the price of not losing a message for the others.
CONNECTION_ERRORS = (OSError, TimeoutError, urllib.error.URLError)


def _methods(client: WebClient) -> dict[str, Callable[..., Any]]:
    return {
        "chat.postMessage": client.chat_postMessage,
        "chat.update": client.chat_update,
        "reactions.add": client.reactions_add,
        "reactions.remove": client.reactions_remove,
        "views.update": client.views_update,
        "functions.completeSuccess": client.functions_completeSuccess,
        "functions.completeError": client.functions_completeError,
    }


def call_slack(client: WebClient, method: str, args: dict[str, Any]) -> Outcome:
    """Call Web API `method` with `args`; a posted message's ts comes back in the outcome."""
    call = _methods(client).get(method)
    if call is None:
        return Outcome.failed(f"unknown_method:{method}")
    try:
        response = call(**args)
    except SlackApiError as exc:
        return _refusal(exc)
    except CONNECTION_ERRORS as exc:
        return Outcome.retry(f"connection: {type(exc).__name__}")
    ts = response.get("ts")
    return Outcome.sent(str(ts) if ts else None)


def _refusal(exc: SlackApiError) -> Outcome:
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
    error = data.get("error")
    return from_http(
        response.status_code, str(error) if error else None, headers.get("retry-after")
    )


def permalink(client: WebClient, channel_id: str, message_ts: str) -> str | None:
    """The message's permalink, or None when Slack will not say (the alert links differently)."""
    try:
        link = client.chat_getPermalink(channel=channel_id, message_ts=message_ts).get("permalink")
    except SlackApiError as exc:
        logger.info("no permalink for %s/%s: %s", channel_id, message_ts, exc.response.get("error"))
        return None
    except CONNECTION_ERRORS as exc:
        logger.info("no permalink for %s/%s: %s", channel_id, message_ts, exc)
        return None
    return str(link) if link else None


def respond(url: str, body: dict[str, Any]) -> Outcome:
    """POST `body` to a `response_url` (no retry handlers: the outbox retries)."""
    webhook = WebhookClient(url, timeout=WEBHOOK_TIMEOUT_SECONDS, retry_handlers=[])
    try:
        response = webhook.send_dict(body)
    except CONNECTION_ERRORS as exc:
        return Outcome.retry(f"connection: {type(exc).__name__}")
    if 200 <= response.status_code < 300:
        return Outcome.sent()
    headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
    error = (response.body or "").strip()[:100] or None
    return from_http(response.status_code, error, headers.get("retry-after"))
