"""Two workspaces installed through the OAuth flow: an admin of A sees, drafts from and manages
nothing of B, through Slack (App Home, `/triage`, `/draft`), the dashboard and its API.

Both workspaces keep data on the same channel id (a Slack Connect channel has one id in both);
B's text carries `SECRET-OF-B` and B's undelivered write names channel `CGONEB`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.dashboard.auth import API_TOKEN_PREFIX, secret_digest
from bot.settings import Settings, load_settings
from bot.web import create_web_app
from storage import repositories as repo
from storage.database import Database
from storage.repositories import ALL_WORKSPACES, OutboxWrite
from tests.fixtures.slack import (
    BotHarness,
    FakeSlack,
    command_body,
    event_body,
    signed_headers,
)

A, B = "T0TENANTA", "T0TENANTB"
TOKENS = {A: "xoxb-tenant-a", B: "xoxb-tenant-b"}
ADMIN_A, ADMIN_B, OPERATOR = "U0ADMINA", "U0ADMINB", "U0OPERATOR"
SHARED = "C0SHARED"
SECRET = "SECRET-OF-B"


@dataclass
class Tenants:
    web: Any  # the Flask test client of `triagebot serve`'s web app
    harness: BotHarness
    fake_slack: FakeSlack

    @property
    def db(self) -> Database:
        return self.harness.services.db


def oauth_settings(slack_env: dict[str, str], **slack: str) -> Settings:
    return load_settings(
        None,
        models={"DATA_DIR": slack_env.get("DATA_DIR", ""), "CLASSIFIER_PATH": ""},
        server={"SESSION_SECRET": "tenant-test-secret"},
        slack={
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "shh",
            "SLACK_SIGNING_SECRET": slack_env["SLACK_SIGNING_SECRET"],
            "SLACK_API_BASE_URL": slack_env["SLACK_API_BASE_URL"],
            "SLACK_BOT_TOKEN": "",
            "TRIAGE_OPERATOR_USER_IDS": OPERATOR,
            **slack,
        },
    )


def install(web: Any, fake_slack: FakeSlack, team_id: str) -> None:
    """The OAuth install of `team_id`: Slack's consent, then the redirect with a code."""
    fake_slack.answer(
        "oauth.v2.access",
        {
            "ok": True,
            "app_id": "A0TEST",
            "access_token": TOKENS[team_id],
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": f"UBOT{team_id[-1]}",
            "team": {"id": team_id, "name": team_id},
            "authed_user": {"id": ADMIN_A if team_id == A else ADMIN_B},
        },
    )
    page = web.get("/slack/install").get_data(as_text=True)
    state = re.search(r"state=([\w-]+)", page).group(1)  # type: ignore[union-attr]
    assert web.get(f"/slack/oauth_redirect?code=c-{team_id}&state={state}").status_code == 200


def seed(db: Database, team_id: str, words: str) -> None:
    """A workspace's kept text, feedback, approved reply and a write Slack refused."""
    repo.set_channel_settings(
        db,
        team_id=team_id,
        channel_id=SHARED,
        enabled=True,
        mode="alert",
        privacy_mode="store_text",
        set_by="U0SEED",
    )
    for number in range(2 if team_id == A else 5):  # different counts, so a leak shows
        repo.record_prediction(
            db,
            team_id=team_id,
            channel_id=SHARED,
            message_ts=f"1700000000.{number}",
            user_id="U0CUST",
            label="negative",
            scores={"negative": 0.9, "neutral": 0.05, "positive": 0.05},
            model_version="keyword-v1",
            latency_ms=1.0,
            text=words,
        )
        repo.record_feedback(
            db,
            label="neutral",
            source="button",
            user_id="U0AGENT",
            team_id=team_id,
            channel_id=SHARED,
            message_ts=f"1700000000.{number}",
        )
    repo.record_approved_reply(
        db,
        team_id=team_id,
        channel_id=SHARED,
        user_id="U0AGENT",
        message_text=words,
        reply_text=f"approved reply about {words}",
    )
    gone = f"CGONE{team_id[-1]}"
    key = f"post:{team_id}:refused"
    repo.enqueue(
        db,
        writes=[
            OutboxWrite(
                key=key,
                method="chat.postMessage",
                team_id=team_id,
                channel_id=gone,
                payload={"channel": gone, "text": words},
            )
        ],
    )
    for row in repo.claim_due(db, holder="seed", limit=50):
        if row.key == key:
            repo.mark_failed(db, row_id=row.id, holder="seed", reason="channel_not_found")


@pytest.fixture
def tenants(bot: BotHarness, slack_env: dict[str, str], fake_slack: FakeSlack) -> Iterator[Tenants]:
    settings = oauth_settings(slack_env)
    services = dataclasses.replace(bot.services, settings=settings)
    harness = dataclasses.replace(bot, services=services)
    web = create_web_app(settings, services).test_client()
    install(web, fake_slack, A)
    install(web, fake_slack, B)
    seed(services.db, A, "my parcel from A is late")
    seed(services.db, B, f"{SECRET} card 4242")
    fake_slack.admins_by_token[TOKENS[A]] = {ADMIN_A}
    fake_slack.admins_by_token[TOKENS[B]] = {ADMIN_B}
    yield Tenants(web, harness, fake_slack)


def post_signed(web: Any, body: str, *, json_body: bool = False) -> None:
    content_type = "application/json" if json_body else "application/x-www-form-urlencoded"
    headers = signed_headers(body, content_type=content_type)
    assert web.post("/slack/events", data=body, headers=headers).status_code == 200


def command(tenants: Tenants, name: str, text: str, *, team_id: str, user_id: str) -> str:
    """Run a slash command from `user_id` of `team_id`; return what the bot answered."""
    url = tenants.fake_slack.response_url()
    body = command_body(name, text, response_url=url, team_id=team_id, user_id=user_id)
    before = len(tenants.fake_slack.calls_to("response_url"))
    post_signed(tenants.web, body)
    tenants.harness.settle()
    answers = tenants.fake_slack.wait_for("response_url", count=before + 1)
    return json.dumps([call.params for call in answers[before:]])


# ---------------------------------------------------------------- through Slack
def test_app_home_of_an_admin_of_a_shows_only_a(tenants: Tenants) -> None:
    opened = {"type": "app_home_opened", "user": ADMIN_A, "channel": "D1", "tab": "home"}
    post_signed(tenants.web, event_body(opened, event_id="Ev-home-a", team_id=A), json_body=True)
    tenants.harness.settle()
    (published,) = tenants.fake_slack.wait_for("views.publish")
    assert published.headers["authorization"] == f"Bearer {TOKENS[A]}"
    view = json.dumps(published.params)
    assert "CGONEA" in view and "CGONEB" not in view and SECRET not in view
    assert "2 in all" in view  # A's two corrections, not the seven of both workspaces
    assert "home_retrain" not in view  # the shared model is the operators'


def test_triage_status_counts_only_the_workspace_it_is_typed_in(tenants: Tenants) -> None:
    answer = command(tenants, "/triage", "status", team_id=A, user_id=ADMIN_A)
    assert "this workspace's feedback in all: 2" in answer


def test_draft_in_a_is_grounded_in_a_only(tenants: Tenants) -> None:
    command(tenants, "/draft", "where is my parcel", team_id=A, user_id=ADMIN_A)
    assert tenants.harness.drafter.teams == [A]


def test_an_admin_of_a_workspace_cannot_retrain_promote_or_roll_back(tenants: Tenants) -> None:
    for words in ("retrain", "promote keyword-v1", "rollback"):
        answer = command(tenants, "/triage", words, team_id=A, user_id=ADMIN_A)
        assert "instance's operators" in answer, words
    assert tenants.harness.retrainer.requests == []


def test_an_operator_can_retrain(tenants: Tenants) -> None:
    tenants.fake_slack.admins_by_token[TOKENS[A]].add(OPERATOR)
    answer = command(tenants, "/triage", "retrain", team_id=A, user_id=OPERATOR)
    assert "instance's operators" not in answer
    assert len(tenants.harness.retrainer.requests) == 1


# ---------------------------------------------------------------- the dashboard and its API
def sign_in_with_slack(tenants: Tenants, user_id: str, team_id: str) -> Any:
    """The OpenID Connect round trip at the fake Slack; returns the signed-in browser."""
    client = tenants.web.application.test_client()
    start = client.get("/login/slack")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    tenants.fake_slack.answer("openid.connect.token", {"ok": True, "access_token": "xoxp-u"})
    tenants.fake_slack.answer(
        "openid.connect.userInfo",
        {"ok": True, "https://slack.com/user_id": user_id, "https://slack.com/team_id": team_id},
    )
    done = client.get(f"/login/slack/callback?code=c&state={state}")
    assert done.status_code == 302, done.get_data(as_text=True)
    return client


def test_the_dashboard_of_an_admin_of_a_shows_only_a(tenants: Tenants) -> None:
    browser = sign_in_with_slack(tenants, ADMIN_A, A)
    page = browser.get("/").get_data(as_text=True)
    assert f"Showing workspace {A}" in page
    assert "CGONEA" in page and "CGONEB" not in page and SECRET not in page
    assert re.search(r"corrections, all time</dt><dd>2<", page)


def test_the_dashboard_api_drafts_with_the_signed_in_workspace(tenants: Tenants) -> None:
    browser = sign_in_with_slack(tenants, ADMIN_B, B)
    csrf = browser.get("/api/csrf").get_json()["csrf_token"]
    answer = browser.post(
        "/api/draft", json={"text": "where is my card"}, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status_code == 200
    assert tenants.harness.drafter.teams == [B]


def test_an_operator_sees_every_workspace(tenants: Tenants) -> None:
    tenants.fake_slack.admins_by_token[TOKENS[A]].add(OPERATOR)
    page = sign_in_with_slack(tenants, OPERATOR, A).get("/").get_data(as_text=True)
    assert "Showing every workspace" in page
    assert "CGONEA" in page and "CGONEB" in page
    assert re.search(r"corrections, all time</dt><dd>7<", page)


def test_an_api_token_of_one_workspace_drafts_in_that_workspace_only(tenants: Tenants) -> None:
    token = API_TOKEN_PREFIX + "tenant-a-script-token-0123456789abcdef"
    repo.create_api_token(tenants.db, name="a-script", token_digest=secret_digest(token), team_id=A)
    answer = tenants.web.post(
        "/api/draft",
        json={"text": "where is my parcel"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    assert tenants.harness.drafter.teams == [A]
    assert repo.use_api_token(tenants.db, token_digest=secret_digest(token)).scope == A  # type: ignore[union-attr]
    assert {r.team_id for r in repo.list_approved_replies(tenants.db, team_id=A)} == {A}
    assert len(repo.list_approved_replies(tenants.db, team_id=ALL_WORKSPACES)) == 2
