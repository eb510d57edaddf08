"""The outbox sender against the fake Slack: delivery once, retries, refusals, expiry, crashes."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update

from bot.outbox import OutboxSender
from storage import repositories as repo
from storage.columns import utcnow
from storage.database import Database
from storage.orm import OutboxRow
from storage.records import OutboxRecord
from storage.repositories import OutboxWrite
from tests.bot.outbox.conftest import FakeSlackClients
from tests.fixtures.slack import FakeSlack

Make = Callable[..., OutboxSender]


def reaction(ts: str, channel: str = "C1", team: str = "T1") -> OutboxWrite:
    return OutboxWrite(
        key=f"react:{team}:{channel}:{ts}",
        method="reactions.add",
        team_id=team,
        channel_id=channel,
        payload={"channel": channel, "timestamp": ts, "name": "rage"},
    )


def message(key: str, channel: str = "C1", **kw: object) -> OutboxWrite:
    return OutboxWrite(
        key=key,
        method="chat.postMessage",
        team_id="T1",
        channel_id=channel,
        payload={"channel": channel, "text": key},
        **kw,  # type: ignore[arg-type]
    )


def settled(db: Database, key: str, timeout: float = 120.0) -> OutboxRecord:
    """Wait until the row is no longer pending (a safety net, not an expected duration)."""
    deadline = time.monotonic() + timeout
    while True:
        row = repo.get_outbox_row(db, key=key)
        if row is not None and row.status != "pending":
            return row
        assert time.monotonic() < deadline, f"{key} still pending after {timeout} s: {row}"
        time.sleep(0.05)


def test_rows_are_delivered_when_kicked(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    sender = make_sender(db)
    repo.enqueue(db, writes=[reaction("1.1"), message("hello")])
    sender.kick()

    assert settled(db, "react:T1:C1:1.1").status == "sent"
    posted = settled(db, "hello")

    assert posted.status == "sent" and posted.result_ts
    assert fake_slack.reactions_on("C1", "1.1") == ["rage"]
    assert [m["ts"] for m in fake_slack.messages_in("C1")] == [posted.result_ts]


def test_a_429_storm_is_waited_out_as_retry_after_says(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    fake_slack.rate_limit("reactions.add", retry_after=1, times=3)
    sender = make_sender(db)
    repo.enqueue(db, writes=[reaction("1.1")])
    sender.kick()

    assert settled(db, "react:T1:C1:1.1").status == "sent"

    calls = fake_slack.calls_to("reactions.add")
    assert [c.status for c in calls] == [429, 429, 429, 200]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]
    assert min(gaps) >= 0.9  # never before Retry-After (1 s)


def test_server_errors_are_retried_until_delivered(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    fake_slack.server_error("chat.postMessage", status=503, times=2)
    sender = make_sender(db)
    repo.enqueue(db, writes=[message("m1")])
    sender.kick()

    row = settled(db, "m1")

    assert row.status == "sent" and row.attempts == 3
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [503, 503, 200]
    assert len(fake_slack.messages_in("C1")) == 1


def test_a_permanent_refusal_is_marked_and_never_retried(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    fake_slack.fail("chat.postMessage", "channel_not_found")
    sender = make_sender(db, start=False)
    repo.enqueue(db, writes=[message("m1")])

    assert sender.run_once() == 1
    assert sender.run_once() == 0
    repo.expire_overdue(db, now=utcnow() + timedelta(days=1))

    row = repo.get_outbox_row(db, key="m1")
    assert row is not None and row.status == "failed" and row.last_error == "channel_not_found"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert [r.key for r in repo.list_failed(db, team_id="T1")] == ["m1"]


def test_a_team_without_installation_is_marked_failed(
    db: Database, slack_clients: FakeSlackClients, fake_slack: FakeSlack, make_sender: Make
) -> None:
    slack_clients.uninstalled.add("T1")
    sender = make_sender(db, start=False)
    repo.enqueue(db, writes=[reaction("1.1")])

    sender.run_once()

    row = repo.get_outbox_row(db, key="react:T1:C1:1.1")
    assert row is not None and (row.status, row.last_error) == ("failed", "no_installation")
    assert fake_slack.calls_to("reactions.add") == []


def test_a_write_that_cannot_be_delivered_in_time_expires(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    fake_slack.server_error("chat.postMessage", times=10)
    sender = make_sender(db, start=False)
    repo.enqueue(db, writes=[message("m1", expires_in=0.5)])

    sender.run_once()  # the back-off (at least 0.8 s) reaches past the expiry

    row = repo.get_outbox_row(db, key="m1")
    assert row is not None and row.status == "expired" and row.payload == {}
    assert sender.run_once() == 0


def test_already_reacted_counts_as_delivered(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    fake_slack.unique_reactions()
    fake_slack.fail("reactions.add", "already_reacted")
    sender = make_sender(db, start=False)
    repo.enqueue(db, writes=[reaction("1.1")])

    sender.run_once()

    row = repo.get_outbox_row(db, key="react:T1:C1:1.1")
    assert row is not None and row.status == "sent"


def test_a_crash_between_send_and_mark_does_not_react_twice(
    db: Database, fake_slack: FakeSlack, slack_clients: FakeSlackClients, make_sender: Make
) -> None:
    fake_slack.unique_reactions()
    repo.enqueue(db, writes=[reaction("1.1")])
    [claimed] = repo.claim_due(db, holder="crashed-sender")
    slack_clients.client.reactions_add(**claimed.payload)  # sent; then the process died
    with db.transaction() as session:  # ... and its lease ran out
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == claimed.id)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )

    make_sender(db, start=False).run_once()

    row = repo.get_outbox_row(db, key=claimed.key)
    assert row is not None and row.status == "sent" and row.attempts == 2
    assert fake_slack.reactions_on("C1", "1.1") == ["rage"]
    assert [c.ok for c in fake_slack.calls_to("reactions.add")] == [True, False]


def test_two_senders_on_one_database_send_every_row_once(
    db: Database, database_url: str, fake_slack: FakeSlack, make_sender: Make
) -> None:
    keys = [f"react:T1:C{i % 4}:1.{i}" for i in range(60)] + [f"post-{i}" for i in range(16)]
    writes = [reaction(f"1.{i}", channel=f"C{i % 4}") for i in range(60)]
    writes += [message(f"post-{i}", channel=f"C{i % 4}") for i in range(16)]
    databases = [Database.from_url(database_url) for _ in range(2)]
    try:
        senders = [make_sender(own, post_interval=0.05, batch_size=8) for own in databases]
        repo.enqueue(db, writes=writes)
        for sender in senders:
            sender.kick()

        for key in keys:
            assert settled(db, key).status == "sent"
    finally:
        for sender in senders:
            sender.stop()
        for own in databases:
            own.dispose()

    reactions = Counter(
        (c.params["channel"], c.params["timestamp"]) for c in fake_slack.calls_to("reactions.add")
    )
    posts = Counter(c.params["text"] for c in fake_slack.calls_to("chat.postMessage"))
    assert len(reactions) == 60 and set(reactions.values()) == {1}
    assert len(posts) == 16 and set(posts.values()) == {1}


def test_response_urls_and_views_are_delivered(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    body = {"response_type": "ephemeral", "text": "Drafting done"}
    repo.enqueue(
        db,
        writes=[
            OutboxWrite(
                key="r1",
                method="response_url",
                team_id=None,
                payload={"url": fake_slack.response_url("r1"), "body": body},
            ),
            OutboxWrite(
                key="v1",
                method="views.update",
                team_id="T1",
                payload={"view_id": "V1", "view": {"type": "modal", "blocks": []}},
            ),
        ],
    )
    fake_slack.server_error("response_url", times=1)
    make_sender(db).kick()

    assert settled(db, "r1").status == "sent"
    assert settled(db, "v1").status == "sent"
    answered = [c for c in fake_slack.calls_to("response_url") if c.status == 200]
    assert [c.params["text"] for c in answered] == ["Drafting done"]
    assert fake_slack.calls_to("views.update")[0].params["view_id"] == "V1"


def test_stop_is_prompt_and_a_stopped_sender_sends_nothing(
    db: Database, fake_slack: FakeSlack, make_sender: Make
) -> None:
    sender = make_sender(db, sweep_seconds=600)
    sender.stop()
    repo.enqueue(db, writes=[reaction("1.1")])
    sender.kick()

    row = repo.get_outbox_row(db, key="react:T1:C1:1.1")
    assert row is not None and row.status == "pending"
    assert fake_slack.calls_to("reactions.add") == []
