"""The `/triage` command: help, status, channel on|off [mode], and admin retrain/promote/rollback."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import model_actions
from bot.blocks.triage import MODES, build_help_text, build_status_blocks, build_usage_text
from bot.listeners.errors import guarded
from bot.permissions import (
    channel_settings_refusal,
    may_manage_models,
    model_management_refusal,
)
from bot.services import Services
from storage import repositories as repo

logger = logging.getLogger(__name__)

ADMIN_ONLY = ("retrain", "promote", "rollback")


def register(app: App, services: Services) -> None:
    """Add the `/triage` command."""
    slack = services.settings.slack
    names = {
        "sentiment": slack.sentiment_command,
        "draft": slack.draft_command,
        "triage": slack.triage_command,
    }

    @app.command(slack.triage_command)
    @guarded
    def handle_triage(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """Dispatch on the first word; admin subcommands check rights after the ack."""
        words = str(command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        if sub == "help" or sub not in ("status", "channel", *ADMIN_ONLY):
            ack(response_type="ephemeral", text=build_help_text(names))
            return
        ack()
        user_id, team_id = str(command.get("user_id")), str(command.get("team_id"))
        if sub == "status":
            respond(
                response_type="ephemeral",
                text="triagebot status",
                blocks=build_status_blocks(status_lines(services, team_id, command)),
            )
        elif sub == "channel":
            refusal = channel_settings_refusal(services.is_admin, client, user_id, team_id=team_id)
            text = refusal if refusal else set_channel(services, command, words[1:])
            respond(response_type="ephemeral", text=text)
        elif not may_manage_models(
            services.settings.slack, services.is_admin, client, user_id, team_id=team_id
        ):
            logger.info("refused %s for %s: may not manage the models", sub, user_id)
            respond(
                response_type="ephemeral", text=model_management_refusal(services.settings.slack)
            )
        else:
            respond(response_type="ephemeral", text=run_admin(services, client, command, words))


def run_admin(
    services: Services, client: WebClient, command: dict[str, Any], words: list[str]
) -> str:
    """Run an admin subcommand for a user already known to be an admin."""
    user_id, team_id = str(command.get("user_id")), str(command.get("team_id"))
    sub, args = words[0].lower(), words[1:]
    if sub == "retrain":
        return model_actions.start_retrain(services, client, team_id=team_id, user_id=user_id)
    if sub == "promote":
        if len(args) != 1:
            return build_usage_text(services.settings.slack.triage_command, "promote VERSION")
        return model_actions.promote(services, team_id=team_id, user_id=user_id, version=args[0])
    kind = args[0].lower() if args else "classifier"
    return model_actions.rollback(services, team_id=team_id, user_id=user_id, kind=kind)


def set_channel(services: Services, command: dict[str, Any], args: list[str]) -> str:
    """`channel on [mode]` / `channel off` for the channel the command was typed in (admins)."""
    usage = build_usage_text(
        services.settings.slack.triage_command, "channel on [tag|alert|suggest] | off"
    )
    if not args or args[0].lower() not in ("on", "off"):
        return usage
    team_id, channel_id = str(command.get("team_id")), str(command.get("channel_id"))
    current = repo.get_channel_settings(services.db, team_id=team_id, channel_id=channel_id)
    mode = args[1].lower() if len(args) > 1 else (current.mode if current else "alert")
    if mode not in MODES:
        return usage
    enabled = args[0].lower() == "on"
    repo.set_channel_settings(
        services.db,
        team_id=team_id,
        channel_id=channel_id,
        enabled=enabled,
        mode=mode,
        privacy_mode=current.privacy_mode if current else "ids_only",
        escalation_channel=current.escalation_channel if current else None,
        set_by=str(command.get("user_id")),
    )
    logger.info("channel %s set %s (%s) by %s", channel_id, enabled, mode, command.get("user_id"))
    if enabled:
        return f":white_check_mark: Automatic triage is on in <#{channel_id}> (mode *{mode}*)."
    return f"Automatic triage is off in <#{channel_id}>."


def status_lines(services: Services, team_id: str, command: dict[str, Any]) -> list[str]:
    """Model versions, the last training run, feedback counts and this channel's setting."""
    db = services.db
    predictor = services.classifier.get_or_none()
    lines = [f"serving classifier: `{getattr(predictor, 'version', 'none')}`"]
    for kind in ("classifier", "generator"):
        active = repo.get_active_model_version(db, kind=kind)
        lines.append(f"active {kind}: `{active.version}`" if active else f"active {kind}: none")
    runs = repo.list_training_runs(db, limit=1)
    since = None
    if runs:
        run = runs[0]
        since = run.started_at
        lines.append(f"last training: {run.started_at:%Y-%m-%d %H:%M} ({run.outcome or 'running'})")
    else:
        lines.append("last training: never")
    label = "since the last training" if since else "in all"
    given = repo.count_feedback(db, team_id=team_id, since=since)
    lines.append(f"this workspace's feedback {label}: {given}")
    channel = repo.get_channel_settings(
        db, team_id=team_id, channel_id=str(command.get("channel_id"))
    )
    here = f"on ({channel.mode})" if channel and channel.enabled else "off"
    lines.append(f"this channel: {here}")
    return lines
