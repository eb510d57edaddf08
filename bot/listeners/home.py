"""App Home: the tab everyone sees, and the admin buttons on it (retrain, roll back, channels)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import model_actions
from bot.blocks.home import HOME_UNDELIVERED_LIMIT, HomeData, build_home_view
from bot.blocks.triage import build_channel_settings_modal
from bot.listeners.errors import guarded
from bot.permissions import (
    channel_settings_refusal,
    may_manage_models,
    model_management_refusal,
)
from bot.services import Services
from bot.slack_api import call_or_skip
from storage import repositories as repo

logger = logging.getLogger(__name__)


def gather_home(
    services: Services, *, team_id: str, is_admin: bool, manages_models: bool = False
) -> HomeData:
    """Read what the home tab shows from storage: this workspace's numbers only."""
    db, slack = services.db, services.settings.slack
    channels = repo.list_channel_settings(db, team_id=team_id)
    watched = [(c.channel_id, c.mode) for c in channels if c.enabled]
    configured = {c.channel_id for c in channels}
    watched += [(c, "alert") for c in sorted(slack.auto_channel_ids) if c not in configured]
    if not is_admin:
        return HomeData(watched=watched)
    week_ago = datetime.now(UTC) - timedelta(days=7)
    mix: Counter[str] = Counter()
    for _day, label, count in repo.label_counts_by_day(db, team_id=team_id, since=week_ago):
        mix[label] += count
    return HomeData(
        watched=watched,
        is_admin=True,
        manages_models=manages_models,
        versions=repo.list_model_versions(db),
        label_mix=dict(mix),
        feedback_week=repo.count_feedback(db, team_id=team_id, since=week_ago),
        feedback_total=repo.count_feedback(db, team_id=team_id),
        drift=repo.latest_drift_report(db),
        channel_settings=channels,
        undelivered=repo.list_failed(db, team_id=team_id, limit=HOME_UNDELIVERED_LIMIT),
    )


def publish_home(services: Services, client: WebClient, *, user_id: str, team_id: str) -> None:
    """Build and publish the home tab of `user_id`."""
    is_admin = services.is_admin(client, user_id, team_id=team_id)
    manages = is_admin and may_manage_models(
        services.settings.slack, services.is_admin, client, user_id, team_id=team_id
    )
    data = gather_home(services, team_id=team_id, is_admin=is_admin, manages_models=manages)
    client.views_publish(user_id=user_id, view=build_home_view(data))


def register(app: App, services: Services) -> None:
    """Add the App Home listeners."""

    @app.event("app_home_opened")
    @guarded
    def handle_app_home_opened(
        event: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """Publish the home tab whenever a user opens it."""
        if event.get("tab", "home") != "home":
            return
        publish_home(services, client, user_id=str(event["user"]), team_id=str(context.team_id))

    def operators_only(client: WebClient, body: dict[str, Any], team_id: str) -> bool:
        user_id, slack = body["user"]["id"], services.settings.slack
        if may_manage_models(slack, services.is_admin, client, user_id, team_id=team_id):
            return True
        refusal = model_management_refusal(slack)
        call_or_skip(client.chat_postMessage, channel=user_id, text=refusal)
        return False

    @app.action("home_retrain")
    @guarded
    def handle_home_retrain(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """Start a retrain from the home tab; the answer arrives as a direct message."""
        ack()
        if not operators_only(client, body, str(context.team_id)):
            return
        user_id, team_id = body["user"]["id"], str(context.team_id)  # the signed team
        text = model_actions.start_retrain(services, client, team_id=team_id, user_id=user_id)
        call_or_skip(client.chat_postMessage, channel=user_id, text=text)

    @app.action("home_rollback")
    @guarded
    def handle_home_rollback(
        ack: Ack,
        action: dict[str, Any],
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
    ) -> None:
        """Roll back the classifier from the home tab and refresh it."""
        ack()
        if not operators_only(client, body, str(context.team_id)):
            return
        user_id, team_id = body["user"]["id"], str(context.team_id)  # the signed team
        kind = str(action.get("value") or "classifier")
        text = model_actions.rollback(services, team_id=team_id, user_id=user_id, kind=kind)
        call_or_skip(client.chat_postMessage, channel=user_id, text=text)
        publish_home(services, client, user_id=user_id, team_id=team_id)

    @app.action("home_channel_settings")
    @guarded
    def handle_home_channel_settings(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """Open the channel settings modal."""
        ack()
        user_id = body["user"]["id"]
        refusal = channel_settings_refusal(
            services.is_admin, client, user_id, team_id=context.team_id
        )
        if refusal:
            call_or_skip(client.chat_postMessage, channel=user_id, text=refusal)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=build_channel_settings_modal())
