"""Fixtures of the outbox tests: Slack clients on the fake Slack, settings, started senders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.outbox import Outbox, OutboxSender
from bot.settings import Settings, load_settings
from storage import repositories as repo
from storage.database import Database
from tests.fixtures.slack import BOT_TOKEN, FakeSlack

MODEL = "keyword-v1"


class FakeSlackClients:
    """Every team writes through the fake Slack; teams in `uninstalled` have no token."""

    def __init__(self, fake: FakeSlack) -> None:
        self.client = WebClient(token=BOT_TOKEN, base_url=fake.base_url, retry_handlers=[])
        self.uninstalled: set[str] = set()

    def client_for(self, team_id: str | None) -> WebClient | None:
        return None if team_id in self.uninstalled else self.client


@pytest.fixture
def slack_clients(fake_slack: FakeSlack) -> FakeSlackClients:
    return FakeSlackClients(fake_slack)


@pytest.fixture
def outbox_settings(fake_slack: FakeSlack) -> Settings:
    return load_settings(
        None,
        slack={
            "SLACK_API_BASE_URL": fake_slack.base_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "TRIAGE_ESCALATION_CHANNEL": "CESC",
            "TRIAGE_ADMIN_USER_IDS": "UADMIN1,UADMIN2",
        },
        storage={"DATABASE_URL": "sqlite://"},
        jobs={"TRIAGE_OUTBOX_SWEEP_SECONDS": 30},
    )


@pytest.fixture
def model_db(db: Database) -> Database:
    """The `db` fixture (both engines) with the stand-in classifier registered."""
    repo.register_model_version(db, kind="classifier", version=MODEL, path=".")
    return db


@pytest.fixture
def make_sender(
    slack_clients: FakeSlackClients,
) -> Iterator[Callable[..., OutboxSender]]:
    """Builds senders on the fake Slack; every sender built is stopped after the test."""
    built: list[OutboxSender] = []

    def make(db: Database, *, start: bool = True, **kwargs: Any) -> OutboxSender:
        sender = OutboxSender(db, slack_clients, **kwargs)
        built.append(sender)
        if start:
            sender.start()
        return sender

    yield make
    for sender in built:
        sender.stop()


@pytest.fixture
def make_outbox(
    outbox_settings: Settings, make_sender: Callable[..., OutboxSender]
) -> Callable[..., Outbox]:
    """An `Outbox` on `db` whose sender (started unless `start=False`) the test cleans up."""

    def make(db: Database, *, start: bool = True, **sender_kwargs: Any) -> Outbox:
        return Outbox(db, outbox_settings, sender=make_sender(db, start=start, **sender_kwargs))

    return make
