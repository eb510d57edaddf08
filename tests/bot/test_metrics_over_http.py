"""Metrics the serving code records, read from `/metrics` after real signed HTTP requests.

The app is the production one (`bot.web.create_web_app` over `bot.composition.build_retrainer`),
served from a thread on a free port and talking to the fake Slack Web API.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.composition import build_retrainer
from bot.jobs.builders import build_outbox, start_inline_jobs
from bot.services import Predictor, Services
from bot.settings import load_settings
from bot.web import create_web_app
from models.holder import ModelHolder
from storage import repositories as repo
from storage.database import Database
from tests.bot.dashboard.server import serve_in_thread
from tests.fixtures.slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    KeywordPredictor,
    block_action,
    command_body,
    event_body,
    interactive_body,
    message_event,
    message_shortcut,
    post,
    signed_headers,
    view_submission,
)

ADMIN = "U0ADMIN"
FORM = "application/x-www-form-urlencoded"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Served:
    """The web app on a free port, its database and the fake Slack it talks to."""

    def __init__(self, base_url: str, db: Database, fake: FakeSlack) -> None:
        self.base_url, self.db, self.fake = base_url, db, fake

    def send(self, body: str, *, content_type: str = FORM, secret: str = SIGNING_SECRET) -> int:
        headers = signed_headers(body, secret=secret, content_type=content_type)
        status, _ = post(self.base_url + "/slack/events", body, headers)
        return status

    def scrape(self) -> Samples:
        with urllib.request.urlopen(self.base_url + "/metrics", timeout=10) as response:
            text = response.read().decode()
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def served(fake_slack: FakeSlack, tmp_path: Path, sqlite_db: Database) -> Iterator[Served]:
    settings = load_settings(
        None,
        slack={
            "SLACK_API_BASE_URL": fake_slack.base_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TRIAGE_ADMIN_USER_IDS": ADMIN,
            "TRIAGE_DRAFTS_ENABLED": "false",
            "TRIAGE_AUTO_CHANNELS": "C0SUPPORT",
        },
        storage={"DATABASE_URL": "sqlite://", "DATA_DIR": str(tmp_path / "var")},
        server={"SESSION_SECRET": "test-secret"},
    )
    repo.register_model_version(
        sqlite_db, kind="classifier", version=KeywordPredictor.version, path="."
    )
    classifier: ModelHolder[Predictor] = ModelHolder(KeywordPredictor())
    outbox = build_outbox(settings, sqlite_db)
    jobs = start_inline_jobs(
        settings, db=sqlite_db, classifier=classifier, drafter=None, outbox=outbox
    )
    services = Services(
        settings=settings,
        db=sqlite_db,
        classifier=classifier,
        drafter=None,
        retrainer=build_retrainer(settings, sqlite_db),
        jobs=jobs,
        outbox=outbox,
    )
    with serve_in_thread(create_web_app(settings, services)) as base_url:
        yield Served(base_url, sqlite_db, fake_slack)
    jobs.close()
    outbox.stop()


def test_every_kind_of_slack_request_counts_one_timed_ack(served: Served) -> None:
    url = served.fake.response_url()
    requests = {
        "command": (command_body("/sentiment", "hello there", response_url=url), FORM),
        "event": (
            event_body(message_event("hello", ts="900.1"), event_id="EvAcks1"),
            "application/json",
        ),
        "action": (interactive_body(block_action("draft_discard", response_url=url)), FORM),
        "shortcut": (
            interactive_body(
                message_shortcut("classify_message", text="thanks!", ts="900.2", response_url=url)
            ),
            FORM,
        ),
        "view": (interactive_body(view_submission("relabel_submit", {})), FORM),
    }
    before = served.scrape()
    for body, content_type in requests.values():
        assert served.send(body, content_type=content_type) == 200
    forged = requests["command"][0]
    assert served.send(forged, secret="not-the-secret") == 401  # refused before any ack
    after = served.scrape()
    for kind in requests:
        acks = ("triagebot_acks_total", {"kind": kind, "in_time": "yes"})
        timed = ("triagebot_ack_seconds_count", {"kind": kind})
        for name, labels in (acks, timed):
            assert value(after, name, **labels) == value(before, name, **labels) + 1, (name, kind)
    assert value(after, "triagebot_ack_seconds_sum", kind="command") > value(
        before, "triagebot_ack_seconds_sum", kind="command"
    )


def test_jobs_and_outbox_rows_are_counted(served: Served) -> None:
    before = served.scrape()
    event = event_body(message_event("my order never arrived", ts="901.1"), event_id="EvJob1")
    assert served.send(event, content_type="application/json") == 200
    served.fake.wait_for("reactions.add")
    # The job is counted done, and the row marked sent, just after Slack's answer: wait for both.
    done = ("triagebot_jobs_total", {"kind": "triage", "outcome": "done"})
    deadline = time.monotonic() + 60
    after = served.scrape()
    while (
        value(after, "triagebot_outbox_rows", status="sent") < 1
        or value(after, done[0], **done[1]) < value(before, done[0], **done[1]) + 1
    ):
        assert time.monotonic() < deadline, "the job or its delivered reaction was not counted"
        time.sleep(0.1)
        after = served.scrape()
    for outcome in ("submitted", "done"):
        name, labels = "triagebot_jobs_total", {"kind": "triage", "outcome": outcome}
        assert value(after, name, **labels) == value(before, name, **labels) + 1, outcome
    assert value(after, "triagebot_classify_batch_size_count") > value(
        before, "triagebot_classify_batch_size_count"
    )


def test_a_finished_retrain_run_is_counted_by_outcome(served: Served) -> None:
    # An empty database has no active classifier: the real run starts, fails at once and is
    # recorded like any other run.
    name, labels = "triagebot_retrain_runs_total", {"outcome": "failed"}
    before = value(served.scrape(), name, **labels)
    body = command_body(
        "/triage", "retrain", user_id=ADMIN, response_url=served.fake.response_url()
    )
    assert served.send(body) == 200
    deadline = time.monotonic() + 60
    while value(served.scrape(), name, **labels) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert value(served.scrape(), name, **labels) == before + 1
    (run,) = repo.list_training_runs(served.db)
    assert (run.trigger, run.outcome) == ("admin", "failed")
    told = [call.params["text"] for call in served.fake.wait_for("chat.postMessage", count=2)]
    assert any("no active classifier" in text for text in told), told
