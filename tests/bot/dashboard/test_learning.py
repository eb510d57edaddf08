"""The live learning curve ("Learning from corrections" on `/`, `GET /api/learning`) over real
HTTP, for a workspace admin signed in with Slack, an A-scoped API token and the operator.

Workspace A corrected 3 of 4 messages two weeks ago and 1 of 4 this week, after the classifier
`clf-learn-2` was promoted; workspace B corrected all 3 of its messages this week and typed a
correction that names it (`SECRET-OF-B`), so a leak into A's answers shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import update

from bot.dashboard.auth import API_TOKEN_PREFIX, secret_digest
from bot.dashboard.charts import learning_svg
from bot.dashboard.learning import LearningPeriod
from models.types import LABELS
from storage import repositories as repo
from storage.database import Database
from storage.orm import FeedbackRow, PredictionRow
from tests.bot.dashboard.case_seed import ADMIN_A, A, B
from tests.bot.dashboard.fakes import PASSWORD
from tests.bot.dashboard.server import serve_in_thread
from tests.fixtures.slack import FakeSlack

TOKEN_A = API_TOKEN_PREFIX + "workspace-a-learning-0123456789"
CHANNEL_A, CHANNEL_B = "C0LEARNA", "C0LEARNB"  # A keeps message texts, B keeps ids only
SECRET = "SECRET-OF-B"


def message(db: Database, team_id: str, channel_id: str, ts: str, *, given: str) -> None:
    """A message classified "negative" (its text kept where the channel stores text), then
    labelled `given` by an agent."""
    scores = dict.fromkeys(LABELS, 0.05) | {"negative": 0.9}
    repo.record_prediction(
        db,
        team_id=team_id,
        channel_id=channel_id,
        message_ts=ts,
        user_id="U0CUST",
        label="negative",
        scores=scores,
        model_version="clf-learn-1",
        latency_ms=4.0,
        text=f"message {ts} of {team_id}",
    )
    repo.record_feedback(
        db,
        label=given,
        source="button",
        user_id="U0AGENT",
        team_id=team_id,
        channel_id=channel_id,
        message_ts=ts,
    )


def date_back(db: Database, team_id: str, stamps: list[str], days: int) -> None:
    """Move messages' predictions and feedback `days` back (repositories stamp the present)."""
    when = datetime.now(UTC) - timedelta(days=days)
    with db.transaction() as session:
        for row in (PredictionRow, FeedbackRow):
            moved = {"created_at": when} | ({"updated_at": when} if row is FeedbackRow else {})
            session.execute(
                update(row)
                .where(row.team_id == team_id, row.message_ts.in_(stamps))
                .values(**moved)
            )


def seed_learning(db: Database) -> None:
    repo.register_model_version(db, kind="classifier", version="clf-learn-1", path="/nowhere")
    for team, channel, privacy in ((A, CHANNEL_A, "store_text"), (B, CHANNEL_B, "ids_only")):
        repo.set_channel_settings(
            db, team_id=team, channel_id=channel, enabled=True, privacy_mode=privacy, set_by="U0"
        )
    earlier = [f"1.00000{i}" for i in range(4)]
    for ts, given in zip(earlier, ("positive", "neutral", "positive", "negative"), strict=True):
        message(db, A, CHANNEL_A, ts, given=given)
    date_back(db, A, earlier, days=14)
    repo.register_model_version(db, kind="classifier", version="clf-learn-2", path="/nowhere")
    repo.activate_model_version(db, kind="classifier", version="clf-learn-2")
    for ts, given in zip(
        ["2.000001", "2.000002", "2.000003", "2.000004"],
        ("neutral",) + ("negative",) * 3,
        strict=True,
    ):
        message(db, A, CHANNEL_A, ts, given=given)
    repo.record_feedback(
        db, label="positive", source="command", user_id="U0AGENT", team_id=A, text="typed in A"
    )
    for ts in ("3.000001", "3.000002", "3.000003"):
        message(db, B, CHANNEL_B, ts, given="neutral")
    repo.record_feedback(
        db, label="neutral", source="command", user_id="U0AGENTB", team_id=B, text=SECRET
    )


@pytest.fixture
def base_url(two_workspaces: Flask, sqlite_db: Database) -> Iterator[str]:
    repo.create_api_token(sqlite_db, name="a-learn", token_digest=secret_digest(TOKEN_A), team_id=A)
    with serve_in_thread(two_workspaces) as url:
        yield url


def slack_session(base_url: str, fake_slack: FakeSlack, user: str, team: str) -> requests.Session:
    """A client signed in with Slack as `user` of `team` (the OpenID Connect round trip)."""
    client = requests.Session()
    start = client.get(f"{base_url}/login/slack", allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    fake_slack.answer("openid.connect.token", {"ok": True, "access_token": "xoxp-user"})
    fake_slack.answer(
        "openid.connect.userInfo",
        {"ok": True, "https://slack.com/user_id": user, "https://slack.com/team_id": team},
    )
    done = client.get(
        f"{base_url}/login/slack/callback",
        params={"code": "the-code", "state": state},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/"
    return client


def password_session(base_url: str) -> requests.Session:
    client = requests.Session()
    form = client.get(f"{base_url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    done = client.post(
        f"{base_url}/login",
        data={"csrf_token": token.group(1), "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, done.text
    return client


def shown(page: str, element_id: str) -> str:
    """The text of the element with `element_id` (a leaf element of the page)."""
    found = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert found is not None, f"no #{element_id} on the page"
    return found.group(1).strip()


def rates(answer: dict[str, Any]) -> list[float | None]:
    return [period["correction_rate"] for period in answer["periods"]]


def test_a_workspace_admin_sees_their_corrections_only(
    base_url: str, sqlite_db: Database, fake_slack: FakeSlack
) -> None:
    seed_learning(sqlite_db)
    admin = slack_session(base_url, fake_slack, ADMIN_A, A)
    page = admin.get(f"{base_url}/", timeout=30)
    assert page.status_code == 200
    assert shown(page.text, "scope") == f"Showing workspace {A}."
    assert shown(page.text, "learning-corrections") == "4"
    assert shown(page.text, "learning-reviewed") == "8"
    assert shown(page.text, "learning-rate") == "50%"
    assert shown(page.text, "learning-memory") == "9"  # 8 kept message texts and a typed one
    assert "correction rate 75% (3 of 4 reviewed)" in page.text
    assert "correction rate 25% (1 of 4 reviewed)" in page.text
    assert "promoted clf-learn-2" in page.text
    assert B not in page.text and SECRET not in page.text
    assert 'id="learning-workspaces"' not in page.text  # per workspace rows: operators only

    for answer in (
        admin.get(f"{base_url}/api/learning", timeout=30).json(),
        requests.get(
            f"{base_url}/api/learning", headers={"Authorization": f"Bearer {TOKEN_A}"}, timeout=30
        ).json(),
    ):
        assert rates(answer)[-3:] == [0.75, None, 0.25]
        assert [period["in_memory"] for period in answer["periods"]][-3:] == [4, 4, 9]
        assert answer["periods"][-1]["promoted"] == ["clf-learn-2"]
        assert [w["team_id"] for w in answer["workspaces"]] == [A]
        assert answer["memory"] == {"enabled": True, "capacity": 5000, "holds": 9}
        assert B not in str(answer) and SECRET not in str(answer)


def test_the_operator_sees_every_workspace_row_by_row(base_url: str, sqlite_db: Database) -> None:
    seed_learning(sqlite_db)
    page = password_session(base_url).get(f"{base_url}/", params={"by": "day"}, timeout=30)
    assert shown(page.text, "learning-corrections") == "7"
    assert shown(page.text, "learning-memory") == "10"  # B's ids-only messages are not kept
    assert 'id="learning-workspaces"' in page.text and B in page.text
    answer = requests.get(
        f"{base_url}/api/learning",
        params={"by": "day"},
        headers={"Authorization": f"Bearer {PASSWORD}"},
        timeout=30,
    ).json()
    assert answer["by"] == "day" and len(answer["periods"]) == 30
    by_team = {w["team_id"]: w for w in answer["workspaces"]}
    assert by_team[B]["corrections"] == 3 and by_team[B]["correction_rate"] == 1.0
    assert by_team[B]["in_memory"] == 1 and by_team[A]["in_memory"] == 9
    assert answer["periods"][-1]["corrections"] == 4  # A's 1 and B's 3 today


def test_an_empty_workspace_renders_and_a_bad_period_is_refused(
    base_url: str, fake_slack: FakeSlack
) -> None:
    admin = slack_session(base_url, fake_slack, ADMIN_A, A)
    page = admin.get(f"{base_url}/", params={"by": "fortnight"}, timeout=30)  # ignored here
    assert page.status_code == 200 and "could not be loaded" not in page.text
    assert shown(page.text, "learning-memory") == "0"
    assert shown(page.text, "learning-rate") == "-"
    assert "no feedback yet" in page.text
    answer = admin.get(f"{base_url}/api/learning", timeout=30).json()
    assert answer["by"] == "week" and rates(answer) == [None] * 12
    assert answer["workspaces"] == [] and answer["promotions"] == []
    refused = admin.get(f"{base_url}/api/learning", params={"by": "fortnight"}, timeout=30)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_filter"
    assert requests.get(f"{base_url}/api/learning", timeout=30).status_code == 401


def test_the_chart_breaks_the_line_where_nothing_was_reviewed() -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC).date()
    periods = [
        LearningPeriod(start, reviewed=4, corrections=3, in_memory=4),
        LearningPeriod(start + timedelta(days=7), in_memory=4),
        LearningPeriod(start + timedelta(days=14), reviewed=4, corrections=1, in_memory=9),
        LearningPeriod(start + timedelta(days=21), reviewed=2, corrections=0, in_memory=9),
    ]
    periods[2].promoted.append("clf-<b>")
    svg = str(learning_svg(periods, by="week"))
    assert svg.count("<circle") == 3 and svg.count("<polyline") == 1  # the last two joined
    assert "week of 2026-11-16: promoted clf-&lt;b&gt;" in svg
    assert "week of 2026-11-02: 4 corrections in the memory" in svg
    assert "no feedback yet" in str(learning_svg([LearningPeriod(start)], by="day"))
