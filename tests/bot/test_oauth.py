"""Multi-workspace install: `/slack/install` -> Slack -> `/slack/oauth_redirect` -> stored token."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.settings import load_settings
from bot.web import create_web_app
from tests.fixtures.slack import BotHarness, FakeSlack, command_body, signed_headers

TEAM = "T0OAUTH"
INSTALLED_TOKEN = "xoxb-installed-by-oauth"


@pytest.fixture
def web(bot: BotHarness, slack_env: dict[str, str]) -> Any:
    """The WSGI app with OAuth on (client id and secret set, no bot token)."""
    settings = load_settings(
        None,
        slack={
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "shh",
            "SLACK_SIGNING_SECRET": slack_env["SLACK_SIGNING_SECRET"],
            "SLACK_API_BASE_URL": slack_env["SLACK_API_BASE_URL"],
            "SLACK_BOT_TOKEN": "",
        },
    )
    return create_web_app(settings, bot.services).test_client()


def start_install(web: Any) -> str:
    """Open the install page; return the state Slack will send back."""
    page = web.get("/slack/install")
    assert page.status_code == 200
    return re.search(r"state=([\w-]+)", page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]


def test_redirect_exchanges_the_code_and_the_new_workspace_is_served(
    web: Any, bot: BotHarness, fake_slack: FakeSlack
) -> None:
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
            "authed_user": {"id": "U0ADMIN"},
        },
    )
    state = start_install(web)
    finished = web.get(f"/slack/oauth_redirect?code=c0de&state={state}")
    assert finished.status_code == 200
    (exchange,) = fake_slack.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "c0de"
    assert exchange.headers["authorization"].startswith("Basic ")  # client id and secret
    stored = bot.services.installation_store.find_bot(enterprise_id=None, team_id=TEAM)
    assert stored is not None and stored.bot_token == INSTALLED_TOKEN

    body = command_body(
        "/sentiment", "my order never arrived", response_url=fake_slack.response_url(), team_id=TEAM
    )
    assert web.post("/slack/events", data=body, headers=signed_headers(body)).status_code == 200
    (answer,) = fake_slack.wait_for("response_url")
    assert "negative" in answer.params["text"]


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
