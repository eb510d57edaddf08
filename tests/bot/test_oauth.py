"""Multi-workspace install: `/slack/install` -> Slack -> `/slack/oauth_redirect` -> stored token;
then what `tokens_revoked` and `app_uninstalled` do to the installation and the workspace's data."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from bot.app import create_app
from bot.settings import Settings, load_settings
from bot.web import create_web_app
from storage import repositories as repo
from storage.database import Database
from storage.workspaces import ALL_WORKSPACES
from tests.fixtures.slack import (
    BOT_USER_ID,
    BotHarness,
    FakeSlack,
    TrackingExecutor,
    command_body,
    event_body,
    signed_headers,
)

TEAM = "T0OAUTH"
INSTALLED_TOKEN = "xoxb-installed-by-oauth"
USER_TOKEN = "xoxp-installer"
INSTALLER = "U0ADMIN"


@pytest.fixture
def oauth_settings(slack_env: dict[str, str]) -> Settings:
    """OAuth on: client id and secret set, no bot token."""
    return load_settings(
        None,
        slack={
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "shh",
            "SLACK_SIGNING_SECRET": slack_env["SLACK_SIGNING_SECRET"],
            "SLACK_API_BASE_URL": slack_env["SLACK_API_BASE_URL"],
            "SLACK_BOT_TOKEN": "",
        },
    )


@pytest.fixture
def web(bot: BotHarness, oauth_settings: Settings) -> Any:
    """The WSGI app with OAuth on."""
    return create_web_app(oauth_settings, bot.services).test_client()


@pytest.fixture
def oauth_bot(bot: BotHarness, oauth_settings: Settings, web: Any) -> BotHarness:
    """An OAuth-mode Bolt app on the same services and installation store as `web`, driven by
    signed requests through `app.dispatch` so that tests can wait for its listeners."""
    app = create_app(oauth_settings, bot.services)
    app.listener_runner.listener_executor = TrackingExecutor(4)
    return dataclasses.replace(bot, app=app)


def start_install(web: Any) -> str:
    """Open the install page; return the state Slack will send back."""
    page = web.get("/slack/install")
    assert page.status_code == 200
    return re.search(r"state=([\w-]+)", page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]


def answer_oauth_access(fake_slack: FakeSlack, *, authed_user: dict[str, str]) -> None:
    """Slack's `oauth.v2.access` answer for an install into TEAM by `authed_user`."""
    fake_slack.answer(
        "oauth.v2.access",
        {
            "ok": True,
            "app_id": "A0TEST",
            "access_token": INSTALLED_TOKEN,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "UBOT2",
            "team": {"id": TEAM, "name": "Installed"},
            "authed_user": authed_user,
        },
    )


def test_redirect_exchanges_the_code_and_the_new_workspace_is_served(
    web: Any, bot: BotHarness, fake_slack: FakeSlack
) -> None:
    answer_oauth_access(fake_slack, authed_user={"id": "U0ADMIN"})
    state = start_install(web)
    finished = web.get(f"/slack/oauth_redirect?code=c0de&state={state}")
    assert finished.status_code == 200
    (exchange,) = fake_slack.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "c0de"
    assert exchange.headers["authorization"].startswith("Basic ")  # client id and secret
    stored = bot.services.installation_store.find_bot(enterprise_id=None, team_id=TEAM)
    assert stored is not None and stored.bot_token == INSTALLED_TOKEN
    assert sentiment_works(web, fake_slack)


def test_redirect_with_an_unknown_state_stores_nothing(
    web: Any, bot: BotHarness, fake_slack: FakeSlack
) -> None:
    start_install(web)
    refused = web.get("/slack/oauth_redirect?code=c0de&state=forged")
    assert refused.status_code == 400
    assert fake_slack.calls_to("oauth.v2.access") == []
    assert bot.services.installation_store.find_bot(enterprise_id=None, team_id=TEAM) is None


def test_command_from_a_workspace_without_installation_asks_to_reinstall(
    web: Any, bot: BotHarness, fake_slack: FakeSlack
) -> None:
    body = command_body(
        "/sentiment", "hi", response_url=fake_slack.response_url(), team_id="T0NONE"
    )
    response = web.post("/slack/events", data=body, headers=signed_headers(body))
    assert response.status_code == 200  # acked: no retries
    assert bot.predictor.seen == []
    (notice,) = fake_slack.wait_for("response_url")  # Bolt asks the user to reinstall
    assert "reinstall" in notice.params["text"]


# ---------------------------------------------------------------- revocation and uninstall
def install(web: Any, fake_slack: FakeSlack) -> None:
    """Install into TEAM through the OAuth flow: a bot token and the installer's user token."""
    user = {
        "id": INSTALLER,
        "access_token": USER_TOKEN,
        "token_type": "user",
        "scope": "search:read",
    }
    answer_oauth_access(fake_slack, authed_user=user)
    state = start_install(web)
    assert web.get(f"/slack/oauth_redirect?code=c0de&state={state}").status_code == 200


def store_workspace_data(db: Database) -> None:
    """Channel settings, a prediction and a feedback row for TEAM."""
    repo.set_channel_settings(
        db, team_id=TEAM, channel_id="C0SUPPORT", enabled=True, set_by=INSTALLER
    )
    repo.record_prediction(
        db,
        team_id=TEAM,
        channel_id="C0SUPPORT",
        message_ts="1.1",
        user_id="U0CUST",
        label="negative",
        scores={"negative": 0.9, "neutral": 0.05, "positive": 0.05},
        model_version="keyword-v1",
        latency_ms=1.0,
    )
    repo.record_feedback(
        db,
        label="neutral",
        source="button",
        user_id=INSTALLER,
        team_id=TEAM,
        channel_id="C0SUPPORT",
        message_ts="1.1",
    )


def workspace_data(db: Database) -> dict[str, Any]:
    """What is stored about TEAM (and the models every workspace shares)."""
    prediction = repo.get_prediction(db, team_id=TEAM, channel_id="C0SUPPORT", message_ts="1.1")
    return {
        "channels": [c.channel_id for c in repo.list_channel_settings(db, team_id=TEAM)],
        "prediction": prediction.label if prediction else None,
        "feedback": [(f.team_id, f.label) for f in repo.list_feedback(db, team_id=ALL_WORKSPACES)],
        "models": [m.version for m in repo.list_model_versions(db)],
    }


STORED = {
    "channels": ["C0SUPPORT"],
    "prediction": "negative",
    "feedback": [(TEAM, "neutral")],
    "models": ["keyword-v1"],
}


def deliver(bot: BotHarness, event: dict[str, Any], *, event_id: str) -> None:
    """Send a signed event from TEAM and wait for its listener."""
    response = bot.send(event_body(event, event_id=event_id, team_id=TEAM), json_body=True)
    assert response.status == 200
    bot.settle()


def sentiment_works(web: Any, fake_slack: FakeSlack) -> bool:
    """A signed `/sentiment` from TEAM is answered with a label (the bot token is found)."""
    body = command_body(
        "/sentiment", "my order never arrived", response_url=fake_slack.response_url(), team_id=TEAM
    )
    assert web.post("/slack/events", data=body, headers=signed_headers(body)).status_code == 200
    (answer,) = fake_slack.wait_for("response_url")
    return "negative" in answer.params["text"]


def test_revoking_a_user_token_keeps_the_workspace_data_and_the_bot(
    web: Any, oauth_bot: BotHarness, fake_slack: FakeSlack
) -> None:
    store, db = oauth_bot.services.installation_store, oauth_bot.services.db
    install(web, fake_slack)
    store_workspace_data(db)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [INSTALLER]}}
    deliver(oauth_bot, revoked, event_id="Ev-user-revoked")
    assert store.find_installation(enterprise_id=None, team_id=TEAM, user_id=INSTALLER) is None
    assert store.find_bot(enterprise_id=None, team_id=TEAM) is not None
    assert workspace_data(db) == STORED
    assert sentiment_works(web, fake_slack)

    install(web, fake_slack)  # the user authorizes again; then Slack redelivers the old event
    deliver(oauth_bot, revoked, event_id="Ev-user-revoked")
    again = store.find_installation(enterprise_id=None, team_id=TEAM, user_id=INSTALLER)
    assert again is not None and again.user_token == USER_TOKEN
    assert workspace_data(db) == STORED


def test_revoking_the_bot_token_forgets_the_bot_and_keeps_the_workspace_data(
    web: Any, oauth_bot: BotHarness, fake_slack: FakeSlack
) -> None:
    store, db = oauth_bot.services.installation_store, oauth_bot.services.db
    install(web, fake_slack)
    store_workspace_data(db)
    revoked = {"type": "tokens_revoked", "tokens": {"bot": [BOT_USER_ID]}}
    deliver(oauth_bot, revoked, event_id="Ev-bot-revoked")
    assert store.find_bot(enterprise_id=None, team_id=TEAM) is None
    assert workspace_data(db) == STORED

    install(web, fake_slack)
    deliver(oauth_bot, revoked, event_id="Ev-bot-revoked")  # redelivered after the reinstall
    assert store.find_bot(enterprise_id=None, team_id=TEAM) is not None
    assert workspace_data(db) == STORED


def test_uninstall_forgets_the_workspace_once(
    web: Any, oauth_bot: BotHarness, fake_slack: FakeSlack
) -> None:
    store, db = oauth_bot.services.installation_store, oauth_bot.services.db
    install(web, fake_slack)
    store_workspace_data(db)
    deliver(oauth_bot, {"type": "app_uninstalled"}, event_id="Ev-uninstalled")
    assert store.find_bot(enterprise_id=None, team_id=TEAM) is None
    assert store.find_installation(enterprise_id=None, team_id=TEAM) is None
    assert workspace_data(db) == {**STORED, "channels": [], "prediction": None, "feedback": []}

    install(web, fake_slack)  # installed again; then Slack redelivers the old uninstall
    store_workspace_data(db)
    deliver(oauth_bot, {"type": "app_uninstalled"}, event_id="Ev-uninstalled")
    assert store.find_bot(enterprise_id=None, team_id=TEAM) is not None
    assert workspace_data(db) == STORED
