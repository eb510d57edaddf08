"""Enterprise Grid and token rotation: installations found with their enterprise, admin answers
cached per workspace, expiring bot tokens refreshed on the listener path and in the outbox.

Everything runs in OAuth mode against the fake Slack: workspaces are installed through
`/slack/install` -> `oauth.v2.access`, events and commands arrive signed, and the outbox finds
its clients through the installation store (`bot.slack_api.SlackClients`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.app import create_app
from bot.dashboard.slack_login import may_sign_in
from bot.installation_store import installation_store
from bot.jobs.builders import build_outbox, start_inline_jobs
from bot.services import Predictor, Services
from bot.settings import load_settings
from bot.slack_api import SlackClients
from bot.web import create_web_app
from models.holder import ModelHolder
from storage import repositories as repo
from storage.database import Database
from tests.fixtures.slack import (
    BOT_USER_ID,
    SIGNING_SECRET,
    BotHarness,
    Call,
    FakeRetrainer,
    FakeSlack,
    KeywordPredictor,
    StubDrafter,
    TrackingExecutor,
    command_body,
    event_body,
    message_event,
    signed_headers,
)

CLIENT_ID = "111.222"
ENTERPRISE = "E0GRID"
GRID_TEAM, GRID_TOKEN = "T0GRID", "xoxb-grid-workspace"
OTHER_TEAM, OTHER_TOKEN = "T0GRID2", "xoxb-grid-other-workspace"
ORG, ORG_TOKEN, ORG_WORKSPACE = "E0ORG", "xoxb-org-wide", "T0ORGWS"
ROTATING_TEAM = "T0ROTATE"  # a plain workspace whose app has token rotation on
GRID_ADMIN = "W0ADMIN"  # a Grid user: one id in every workspace of the organisation


@dataclass
class OAuthBot:
    """The OAuth-mode app (driven via `app.dispatch`), its web app and its stores."""

    harness: BotHarness
    web: Any
    store: Any

    @property
    def db(self) -> Database:
        return self.harness.services.db


@pytest.fixture
def oauth(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[OAuthBot]:
    """OAuth on (no bot token), an outbox that finds tokens in the installation store."""
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    settings = load_settings(
        None,
        slack={
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": "shh",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": fake_slack.base_url,
            "SLACK_BOT_TOKEN": "",
            "TRIAGE_ESCALATION_CHANNEL": "C0ESCALATE",
            "TRIAGE_DRAFTS_ENABLED": "false",
        },
        storage={"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "var")},
    )
    db = Database.from_url(database_url)
    db.upgrade()
    repo.register_model_version(db, kind="classifier", version=KeywordPredictor.version, path=".")
    store = installation_store(db, client_id=CLIENT_ID)
    predictor, retrainer = KeywordPredictor(), FakeRetrainer()
    classifier: ModelHolder[Predictor] = ModelHolder(predictor)
    outbox = build_outbox(settings, db, store)
    jobs = start_inline_jobs(settings, db=db, classifier=classifier, drafter=None, outbox=outbox)
    services = Services(
        settings=settings,
        db=db,
        classifier=classifier,
        drafter=None,
        retrainer=retrainer,
        installation_store=store,
        jobs=jobs,
        outbox=outbox,
    )
    app = create_app(settings, services)
    app.listener_runner.listener_executor = TrackingExecutor(4)
    harness = BotHarness(
        app, services, fake_slack, predictor, StubDrafter(), retrainer, jobs, outbox
    )
    yield OAuthBot(harness, create_web_app(settings, services).test_client(), store)
    jobs.close()
    outbox.stop()
    db.dispose()


def install(
    oauth: OAuthBot,
    fake_slack: FakeSlack,
    *,
    token: str,
    team: str | None,
    enterprise: str,
    org_wide: bool = False,
) -> None:
    """Install through the OAuth flow; Slack answers for a Grid workspace or an org-wide app."""
    fake_slack.answer(
        "oauth.v2.access",
        {
            "ok": True,
            "app_id": "A0TEST",
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write,reactions:write,users:read",
            "bot_user_id": BOT_USER_ID,
            "team": {"id": team, "name": "Grid workspace"} if team else None,
            "enterprise": {"id": enterprise, "name": "Grid org"},
            "is_enterprise_install": org_wide,
            "authed_user": {"id": GRID_ADMIN},
        },
    )
    page = oauth.web.get("/slack/install").get_data(as_text=True)
    state = re.search(r"state=([\w-]+)", page).group(1)  # type: ignore[union-attr]
    assert oauth.web.get(f"/slack/oauth_redirect?code=c0de&state={state}").status_code == 200


def grid_event(
    event: dict[str, Any], *, event_id: str, team: str, enterprise: str, org_wide: bool = False
) -> str:
    """An Events API envelope from a workspace of an Enterprise Grid organisation."""
    envelope = json.loads(event_body(event, event_id=event_id, team_id=team))
    authorization = {
        "enterprise_id": enterprise,
        "team_id": None if org_wide else team,
        "user_id": BOT_USER_ID,
        "is_bot": True,
        "is_enterprise_install": org_wide,
    }
    return json.dumps({**envelope, "enterprise_id": enterprise, "authorizations": [authorization]})


def grid_command(text: str, *, team: str, user: str, response_url: str) -> str:
    """`/triage TEXT` from a Grid workspace (slash commands carry `enterprise_id` there)."""
    body = dict(
        parse_qsl(
            command_body("/triage", text, response_url=response_url, user_id=user, team_id=team)
        )
    )
    return urlencode({**body, "enterprise_id": ENTERPRISE})


def opt_in(db: Database, team: str) -> None:
    repo.set_channel_settings(
        db,
        team_id=team,
        channel_id="C0SUPPORT",
        enabled=True,
        mode="alert",
        escalation_channel="C0ESCALATE",
        set_by=GRID_ADMIN,
    )


def send_upset_message(oauth: OAuthBot, *, team: str, enterprise: str, org_wide: bool) -> None:
    event = message_event("my order never arrived, I am angry", ts="1700000000.000100")
    body = grid_event(
        event, event_id="Ev-grid", team=team, enterprise=enterprise, org_wide=org_wide
    )
    assert oauth.harness.send(body, json_body=True).status == 200
    oauth.harness.settle()


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_a_grid_workspace_gets_its_reaction_and_alert_with_its_own_token(
    oauth: OAuthBot, fake_slack: FakeSlack
) -> None:
    install(oauth, fake_slack, token=GRID_TOKEN, team=GRID_TEAM, enterprise=ENTERPRISE)
    opt_in(oauth.db, GRID_TEAM)
    send_upset_message(oauth, team=GRID_TEAM, enterprise=ENTERPRISE, org_wide=False)
    (reaction,) = fake_slack.calls_to("reactions.add")
    assert reaction.headers["authorization"] == bearer(GRID_TOKEN)
    alerts = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "C0ESCALATE"
    ]
    assert [a.headers["authorization"] for a in alerts] == [bearer(GRID_TOKEN)]
    assert repo.list_failed(oauth.db, team_id=GRID_TEAM, limit=10) == []


def test_an_org_wide_install_serves_the_workspaces_slack_lists_for_it(
    oauth: OAuthBot, fake_slack: FakeSlack
) -> None:
    install(oauth, fake_slack, token=ORG_TOKEN, team=None, enterprise=ORG, org_wide=True)
    stored = oauth.store.find_bot(enterprise_id=ORG, team_id=None, is_enterprise_install=True)
    assert stored is not None and stored.bot_token == ORG_TOKEN
    fake_slack.answer("auth.teams.list", {"ok": True, "teams": [{"id": ORG_WORKSPACE}]})
    opt_in(oauth.db, ORG_WORKSPACE)
    send_upset_message(oauth, team=ORG_WORKSPACE, enterprise=ORG, org_wide=True)
    (listing,) = fake_slack.calls_to("auth.teams.list")
    assert listing.headers["authorization"] == bearer(ORG_TOKEN)
    (reaction,) = fake_slack.calls_to("reactions.add")
    assert reaction.headers["authorization"] == bearer(ORG_TOKEN)


def test_an_admin_of_one_grid_workspace_is_not_an_admin_of_another(
    oauth: OAuthBot, fake_slack: FakeSlack
) -> None:
    install(oauth, fake_slack, token=GRID_TOKEN, team=GRID_TEAM, enterprise=ENTERPRISE)
    install(oauth, fake_slack, token=OTHER_TOKEN, team=OTHER_TEAM, enterprise=ENTERPRISE)
    fake_slack.admins_by_token[GRID_TOKEN] = {GRID_ADMIN}
    fake_slack.admins_by_token[OTHER_TOKEN] = set()
    answers: list[Call] = []
    for team in (GRID_TEAM, OTHER_TEAM):
        url = fake_slack.response_url(team)
        body = grid_command("channel on alert", team=team, user=GRID_ADMIN, response_url=url)
        assert (
            oauth.web.post("/slack/events", data=body, headers=signed_headers(body)).status_code
            == 200
        )
        answers.append(fake_slack.wait_for("response_url", count=len(answers) + 1)[-1])
    allowed, refused = (a.params["text"] for a in answers)
    assert "Only workspace admins" not in allowed
    assert "Only workspace admins" in refused
    assert repo.get_channel_settings(oauth.db, team_id=OTHER_TEAM, channel_id="C0SUPPORT") is None
    assert {c.headers["authorization"] for c in fake_slack.calls_to("users.info")} == {
        bearer(GRID_TOKEN),
        bearer(OTHER_TOKEN),
    }


def test_a_grid_admin_may_sign_in_to_the_dashboard(oauth: OAuthBot, fake_slack: FakeSlack) -> None:
    install(oauth, fake_slack, token=GRID_TOKEN, team=GRID_TEAM, enterprise=ENTERPRISE)
    fake_slack.admins_by_token[GRID_TOKEN] = {GRID_ADMIN}
    services = oauth.harness.services
    assert may_sign_in(services, team_id=GRID_TEAM, user_id=GRID_ADMIN, enterprise_id=ENTERPRISE)
    assert not may_sign_in(
        services, team_id=GRID_TEAM, user_id="W0MEMBER", enterprise_id=ENTERPRISE
    )


# ---------------------------------------------------------------- token rotation
def save_expired_install(store: Any) -> None:
    """A rotating install of a plain workspace whose bot token expired a minute ago."""
    store.save(
        Installation(
            app_id="A0TEST",
            enterprise_id=None,
            team_id=ROTATING_TEAM,
            user_id="U0ADMIN",
            bot_token="xoxb-expired",
            bot_refresh_token="xoxe-1-refresh",
            bot_token_expires_at=int(time.time()) - 60,
            bot_id="BBOT",
            bot_user_id=BOT_USER_ID,
            bot_scopes="commands,chat:write",
        )
    )


def answer_refresh(fake_slack: FakeSlack) -> None:
    fake_slack.answer(
        "oauth.v2.access",
        {
            "ok": True,
            "token_type": "bot",
            "access_token": "xoxb-refreshed",
            "refresh_token": "xoxe-1-next",
            "expires_in": 43200,
        },
    )


def assert_refreshed(store: Any, fake_slack: FakeSlack) -> None:
    (refresh,) = fake_slack.calls_to("oauth.v2.access")
    assert refresh.params["grant_type"] == "refresh_token"
    assert refresh.params["refresh_token"] == "xoxe-1-refresh"
    bot = store.find_bot(enterprise_id=None, team_id=ROTATING_TEAM)
    installation = store.find_installation(enterprise_id=None, team_id=ROTATING_TEAM)
    for saved in (bot, installation):  # both rows: a refresh token works only once
        assert (saved.bot_token, saved.bot_refresh_token) == ("xoxb-refreshed", "xoxe-1-next")


def test_the_outbox_refreshes_an_expired_bot_token_before_calling_slack(
    oauth: OAuthBot, fake_slack: FakeSlack
) -> None:
    save_expired_install(oauth.store)
    answer_refresh(fake_slack)
    settings = oauth.harness.services.settings
    client = SlackClients(settings.slack, oauth.store).client_for(ROTATING_TEAM)
    assert client is not None and client.token == "xoxb-refreshed"
    assert_refreshed(oauth.store, fake_slack)


def test_a_listener_refreshes_an_expired_bot_token_through_the_configured_slack(
    oauth: OAuthBot, fake_slack: FakeSlack
) -> None:
    save_expired_install(oauth.store)
    answer_refresh(fake_slack)
    fake_slack.admins_by_token["xoxb-refreshed"] = {"U0ADMIN"}
    url = fake_slack.response_url("channel")
    body = command_body(
        "/triage", "channel on", response_url=url, user_id="U0ADMIN", team_id=ROTATING_TEAM
    )
    assert (
        oauth.web.post("/slack/events", data=body, headers=signed_headers(body)).status_code == 200
    )
    (answer,) = fake_slack.wait_for("response_url")
    assert "Only workspace admins" not in answer.params["text"]
    assert_refreshed(oauth.store, fake_slack)
    (lookup,) = fake_slack.calls_to("users.info")
    assert lookup.headers["authorization"] == bearer("xoxb-refreshed")
