"""What admins see of the outbox: the digest's blocks, undelivered writes in App Home and the
dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.blocks.digest import build_digest_blocks, build_digest_text
from bot.blocks.home import HomeData, build_home_view
from bot.dashboard import overview
from storage import repositories as repo
from storage.database import Database
from storage.records import AlertRecord, DigestRecord, OutboxRecord
from storage.workspaces import ALL_WORKSPACES
from tests.bot.dashboard.fakes import make_services, make_settings
from tests.fixtures.slack import mrkdwn_texts

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def alert(i: int, text: str | None = None) -> AlertRecord:
    return AlertRecord(
        id=i,
        team_id="T1",
        escalation_channel="CESC",
        channel_id="C1",
        message_ts=f"1700.{i:04d}",
        user_id=f"U{i}",
        label="negative",
        confidence=0.91,
        text=text,
        digest_id=1,
        created_at=NOW,
    )


def digest(*alerts: AlertRecord) -> DigestRecord:
    return DigestRecord(1, "T1", "CESC", NOW, version=len(alerts), posted_ts=None, alerts=alerts)


def test_a_digest_names_every_alert_with_a_link_or_where_to_find_it() -> None:
    blocks = build_digest_blocks(
        digest(alert(1), alert(2, text="<!channel> refund & <https://evil.example|here>")),
        {1: "https://fake.slack.com/archives/C1/p17000001"},
    )
    shown = "\n".join(mrkdwn_texts(blocks))

    assert "*2 upset customers*" in shown
    assert "<https://fake.slack.com/archives/C1/p17000001|open the message>" in shown
    assert "message `1700.0002` in <#C1>" in shown  # no permalink: channel and ts
    assert "&lt;!channel&gt; refund &amp; &lt;https://evil.example|here&gt;" in shown
    assert "<!channel>" not in shown


def test_a_large_digest_stays_within_slacks_limits() -> None:
    many = tuple(alert(i, text="x" * 500) for i in range(40))
    blocks = build_digest_blocks(digest(*many), {})

    assert len(blocks) <= 50
    assert all(len(text) <= 3000 for text in mrkdwn_texts(blocks))
    assert sum(text.count("• ") for text in mrkdwn_texts(blocks)) == 40
    assert build_digest_text(digest(*many)) == "40 upset customers in <#C1>"


def failed_row() -> OutboxRecord:
    return OutboxRecord(
        id=1,
        key="alert:T1:C1:1.1",
        team_id="T1",
        channel_id="CGONE",
        method="alert",
        payload={},
        status="failed",
        attempts=1,
        next_attempt_at=NOW,
        created_at=NOW,
        expires_at=NOW,
        last_error="channel_not_found",
    )


def test_app_home_shows_admins_the_undelivered_writes() -> None:
    view = build_home_view(HomeData(watched=[], is_admin=True, undelivered=[failed_row()]))
    shown = "\n".join(mrkdwn_texts(view["blocks"]))

    assert "*Undelivered Slack messages*" in shown
    assert "`alert` to <#CGONE>: `channel_not_found`" in shown
    everyone = build_home_view(HomeData(watched=[], undelivered=[failed_row()]))
    assert "Undelivered" not in str(everyone)


def test_the_dashboard_lists_undelivered_writes(tmp_path: Path, sqlite_db: Database) -> None:
    repo.enqueue(
        sqlite_db, writes=[repo.OutboxWrite(key="k1", method="reactions.add", team_id="T1")]
    )
    [row] = repo.claim_due(sqlite_db, holder="h")
    repo.mark_failed(sqlite_db, row_id=row.id, holder="h", reason="not_in_channel")

    data = overview.collect(make_services(make_settings(tmp_path), sqlite_db), scope=ALL_WORKSPACES)

    assert data.problems == []
    assert [(r.team, r.method, r.error) for r in data.undelivered] == [
        ("T1", "reactions.add", "not_in_channel")
    ]
