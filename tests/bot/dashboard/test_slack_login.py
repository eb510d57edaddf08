"""Sign in with Slack: the OpenID Connect round trip against the fake Slack Web API."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from bot.settings import load_settings
from storage.database import Database
from tests.bot.dashboard.fakes import make_app, make_services
from tests.fixtures.slack import FakeSlack

TEAM, ADMIN, MEMBER = "T0LOGIN", "U0ADMIN", "U0MEMBER"


@pytest.fixture
def app(fake_slack: FakeSlack, tmp_path: Path, sqlite_db: Database) -> Flask:
    settings = load_settings(
        None,
        models={"DATA_DIR": str(tmp_path), "CLASSIFIER_PATH": ""},
        storage={"DATABASE_URL": "sqlite://"},
        server={"SESSION_SECRET": "test-secret"},  # no DASHBOARD_PASSWORD: Slack is the way in
        slack={
            "SLACK_API_BASE_URL": fake_slack.base_url,
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_SIGNING_SECRET": "signing-secret",
        },
    )
    services = make_services(settings, sqlite_db)
    installed = SimpleNamespace(bot_token="xoxb-installed")
    services.installation_store = SimpleNamespace(
        find_bot=lambda *, enterprise_id, team_id: installed if team_id == TEAM else None
    )
    fake_slack.admins.add(ADMIN)
    return make_app(services)


def _slack_says(fake_slack: FakeSlack, user: str, team: str = TEAM) -> None:
    fake_slack.answer("openid.connect.token", {"ok": True, "access_token": "xoxp-user"})
    fake_slack.answer(
        "openid.connect.userInfo",
        {"ok": True, "https://slack.com/user_id": user, "https://slack.com/team_id": team},
    )


def _round_trip(app: Flask, fake_slack: FakeSlack, user: str, team: str = TEAM) -> tuple:
    client = app.test_client()
    assert "Sign in with Slack" in client.get("/login").get_data(as_text=True)
    start = client.get("/login/slack")
    assert start.status_code == 302
    location = urlsplit(start.headers["Location"])
    query = parse_qs(location.query)
    assert location.netloc == "slack.com" and query["client_id"] == ["111.222"]
    assert query["scope"] == ["openid"] and query["redirect_uri"][0].endswith(
        "/login/slack/callback"
    )
    _slack_says(fake_slack, user, team)
    done = client.get(f"/login/slack/callback?code=the-code&state={query['state'][0]}")
    return client, done


def test_a_workspace_admin_signs_in_with_slack(app: Flask, fake_slack: FakeSlack) -> None:
    client, done = _round_trip(app, fake_slack, ADMIN)
    assert done.status_code == 302 and done.headers["Location"].endswith("/")
    assert client.get("/").status_code == 200
    (exchange,) = fake_slack.calls_to("openid.connect.token")
    assert exchange.params["code"] == "the-code"
    (lookup,) = fake_slack.calls_to("users.info")
    assert (
        lookup.params["user"] == ADMIN
        and lookup.headers["authorization"] == "Bearer xoxb-installed"
    )


def test_a_member_who_is_not_an_admin_is_refused(app: Flask, fake_slack: FakeSlack) -> None:
    client, done = _round_trip(app, fake_slack, MEMBER)
    assert done.status_code == 403 and "Only admins" in done.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_a_workspace_without_the_app_is_refused(app: Flask, fake_slack: FakeSlack) -> None:
    _, done = _round_trip(app, fake_slack, ADMIN, team="T0OTHER")
    assert done.status_code == 403


def test_a_forged_or_replayed_state_is_refused(app: Flask, fake_slack: FakeSlack) -> None:
    client = app.test_client()
    client.get("/login/slack")
    assert client.get("/login/slack/callback?code=x&state=forged").status_code == 400
    assert fake_slack.calls_to("openid.connect.token") == []
    client2, done = _round_trip(app, fake_slack, ADMIN)
    assert done.status_code == 302
    replay = client2.get("/login/slack/callback?code=x&state=anything")
    assert replay.status_code == 400  # the state was used up


def test_slack_refusing_the_code_is_a_clear_401(app: Flask, fake_slack: FakeSlack) -> None:
    client = app.test_client()
    state = parse_qs(urlsplit(client.get("/login/slack").headers["Location"]).query)["state"][0]
    fake_slack.fail("openid.connect.token", "invalid_code")
    done = client.get(f"/login/slack/callback?code=bad&state={state}")
    assert done.status_code == 401 and "did not confirm" in done.get_data(as_text=True)
