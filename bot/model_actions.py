"""Admin actions on models, shared by `/triage` and the App Home: retrain, promote, roll back.

Each checks nothing itself (callers check admin rights), logs and stores the action, and
returns the sentence to show the admin.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.blocks.common import escape_mrkdwn
from bot.services import Services
from bot.slack_api import call_or_skip
from storage import repositories as repo
from storage.errors import StorageError

logger = logging.getLogger(__name__)

KINDS = ("classifier", "generator")


def _audit(services: Services, *, team_id: str, user_id: str, action: str, detail: str) -> None:
    logger.info("admin %s in %s: %s %s", user_id, team_id, action, detail)
    repo.record_admin_action(
        services.db, team_id=team_id, user_id=user_id, action=action, detail=detail
    )


def start_retrain(services: Services, client: WebClient, *, team_id: str, user_id: str) -> str:
    """Start a background retrain; progress lines arrive as direct messages to the admin."""

    def notify(line: str) -> None:
        call_or_skip(client.chat_postMessage, channel=user_id, text=line)

    _audit(services, team_id=team_id, user_id=user_id, action="retrain", detail="")
    started = services.retrainer.start("admin", user_id, notify)
    if started:
        return ":gear: Retraining started. I will message you when it is done."
    return "Retraining did not start (see my direct message for why)."


def promote(services: Services, *, team_id: str, user_id: str, version: str) -> str:
    """Make `version` (as the admin typed it) the active model of its kind."""
    shown = escape_mrkdwn(version)
    try:
        record = repo.get_model_version(services.db, version=version)
        if record is None:
            return f"There is no model version `{shown}`. See `/triage status`."
        repo.activate_model_version(services.db, kind=record.kind, version=version)
    except StorageError as exc:
        logger.warning("promote %s refused: %s", version, exc)
        return f"Could not promote `{shown}`: {escape_mrkdwn(str(exc))}"
    _audit(services, team_id=team_id, user_id=user_id, action="promote", detail=version)
    services.models_changed()
    return f":white_check_mark: `{version}` is now the active {record.kind}."


def rollback(services: Services, *, team_id: str, user_id: str, kind: str = "classifier") -> str:
    """Reactivate the previously active version of `kind`."""
    if kind not in KINDS:
        return f"Unknown model kind `{escape_mrkdwn(kind)}`: use classifier or generator."
    try:
        record = repo.rollback_model(services.db, kind=kind)
    except StorageError as exc:
        logger.warning("rollback of %s refused: %s", kind, exc)
        return f"Could not roll back the {kind}: {escape_mrkdwn(str(exc))}"
    _audit(services, team_id=team_id, user_id=user_id, action="rollback", detail=record.version)
    services.models_changed()
    return f":rewind: Rolled back: `{record.version}` is the active {kind} again."
