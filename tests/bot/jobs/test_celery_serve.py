"""Scale-out shape: `triagebot serve` with `TRIAGE_EXECUTOR=celery` only enqueues; a real
`triagebot worker` classifies, and its outbox delivers to the fake Slack.

The web process never loads torch (its memory map names no libtorch), so replicas stay small.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage import repositories as repo
from storage.database import Database
from tests.fixtures.brokers import Broker
from tests.fixtures.fake_slack import triagebot_command
from tests.fixtures.processes import Child
from tests.fixtures.slack import (
    SIGNING_SECRET,
    TEAM_ID,
    FakeSlack,
    command_body,
    event_body,
    message_event,
    post,
    serve_env,
    serve_process,
    signed_headers,
)

# One broker is enough here: test_celery_worker runs workers on both.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["redis"], indirect=True)]


def mapped_files(pid: int) -> str:
    """The files mapped into process `pid`."""
    return Path(f"/proc/{pid}/maps").read_text()


@dataclass(frozen=True)
class Scaled:
    base_url: str
    db: Database
    fake: FakeSlack
    serve_pid: int

    def send(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> int:
        headers = signed_headers(body, secret=SIGNING_SECRET, content_type=content_type)
        return post(self.base_url + "/slack/events", body, headers)[0]


def serve_pid(workdir: Path) -> int:
    """The gunicorn worker of the `serve` started in `workdir`: the process that would hold the
    models (gunicorn logs its pid when it boots it)."""
    found = re.findall(r"Booting worker with pid: (\d+)", (workdir / "serve.log").read_text())
    assert found, "gunicorn did not log its worker's pid"
    return int(found[-1])


@pytest.fixture
def scaled_out(
    broker: Broker, fake_slack: FakeSlack, tmp_path: Path, tiny_classifier_dir: Path
) -> Iterator[Scaled]:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    db = Database.from_url(url)
    db.upgrade()
    env = {
        **os.environ,
        **serve_env(fake_slack, tmp_path, database_url=url, classifier_dir=tiny_classifier_dir),
        "TRIAGE_EXECUTOR": "celery",
        "TRIAGE_BROKER_URL": broker.url,
        "TRIAGE_QUEUE_NAMESPACE": broker.namespace,
    }
    worker = [sys.executable, "-m", "bot.cli", "worker", "--queues", "triage", "--concurrency", "4"]
    with Child(worker, env, cwd=tmp_path) as child:  # cwd: the repository's .env is not read
        child.wait_for("triagebot worker ready")
        with serve_process(triagebot_command(), env, tmp_path) as base_url:
            yield Scaled(base_url, db, fake_slack, serve_pid(tmp_path))
    db.dispose()


def test_a_message_is_tagged_and_a_command_answered_by_the_worker(scaled_out: Scaled) -> None:
    event = event_body(message_event("my order never arrived", ts="700.1"), event_id="EvCel1")
    assert scaled_out.send(event, "application/json") == 200
    command = command_body(
        "/sentiment", "thanks, works great", response_url=scaled_out.fake.response_url()
    )
    assert scaled_out.send(command) == 200
    (reaction,) = scaled_out.fake.wait_for("reactions.add")
    assert reaction.params["timestamp"] == "700.1"
    (answer,) = scaled_out.fake.wait_for("response_url")
    assert "feedback_wrong" in json.dumps(answer.params["blocks"])
    stored = repo.get_prediction(
        scaled_out.db, team_id=TEAM_ID, channel_id="C0SUPPORT", message_ts="700.1"
    )
    assert stored is not None


def test_the_web_process_loads_no_torch(scaled_out: Scaled) -> None:
    maps = mapped_files(scaled_out.serve_pid)
    assert "libc" in maps  # the maps were read
    assert "libtorch" not in maps
