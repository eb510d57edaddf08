"""`triagebot serve` over real HTTP, against the fake Slack Web API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.payloads import encode
from storage import repositories as repo
from storage.database import Database
from storage.workspaces import ALL_WORKSPACES
from tests.fixtures.slack import (
    SIGNING_SECRET,
    FakeSlack,
    block_action,
    command_body,
    event_body,
    interactive_body,
    message_event,
    post,
    serve_env,
    signed_headers,
    triagebot_serve,
    view_submission,
)

pytestmark = pytest.mark.slow

FORM = "application/x-www-form-urlencoded"


class Served:
    """A running server, its database and the fake Slack it talks to."""

    def __init__(self, base_url: str, db: Database, fake: FakeSlack) -> None:
        self.base_url, self.db, self.fake = base_url, db, fake

    def send(
        self,
        body: str,
        *,
        content_type: str = FORM,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        headers = signed_headers(
            body, secret=secret, timestamp=timestamp, content_type=content_type
        )
        return post(self.base_url + "/slack/events", body, {**headers, **(extra or {})})


@pytest.fixture(scope="module")
def served(
    _fake_slack_server: FakeSlack,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_classifier_dir: Path,
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{workdir / 'bot.db'}"
    db = Database.from_url(url)
    db.upgrade()
    env = serve_env(
        _fake_slack_server, workdir, database_url=url, classifier_dir=tiny_classifier_dir
    )
    with triagebot_serve(env, workdir) as base_url:
        yield Served(base_url, db, _fake_slack_server)
    db.dispose()


@pytest.fixture
def server(served: Served, fake_slack: FakeSlack) -> Served:
    return served  # `fake_slack` empties the recorded calls for each test


def test_sentiment_command_is_answered_through_response_url(server: Served) -> None:
    status, _ = server.send(
        command_body("/sentiment", "hello there", response_url=server.fake.response_url())
    )
    assert status == 200
    (answer,) = server.fake.wait_for("response_url")
    assert "feedback_wrong" in json.dumps(answer.params["blocks"])


def test_empty_command_gets_usage_in_the_ack(server: Served) -> None:
    status, body = server.send(command_body("/sentiment", "", response_url="http://127.0.0.1:9/"))
    assert status == 200 and "Usage" in body


def test_bad_signature_and_stale_timestamp_get_401(server: Served) -> None:
    body = command_body("/sentiment", "hi", response_url=server.fake.response_url())
    assert server.send(body, secret="not-the-secret")[0] == 401
    assert server.send(body, timestamp=int(time.time()) - 600)[0] == 401
    assert server.fake.calls_to("response_url") == []


def test_message_event_is_tagged_once_despite_redelivery(server: Served) -> None:
    body = event_body(message_event("where is my parcel", ts="500.1"), event_id="EvServe1")
    assert server.send(body, content_type="application/json")[0] == 200
    for retry in ("1", "2"):
        extra = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        assert server.send(body, content_type="application/json", extra=extra)[0] == 200
    server.fake.wait_for("reactions.add")
    time.sleep(1.0)  # give a duplicate the chance to show up
    assert len(server.fake.calls_to("reactions.add")) == 1


def test_wrong_label_and_modal_leave_one_feedback_row(server: Served) -> None:
    value = encode({"t": "my order never arrived", "l": "positive"})
    click = block_action("feedback_wrong", value, response_url=server.fake.response_url())
    assert server.send(interactive_body(click))[0] == 200
    (opened,) = server.fake.wait_for("views.open")
    view: Any = opened.params["view"]
    metadata = (json.loads(view) if isinstance(view, str) else view)["private_metadata"]
    values = {"label": {"type": "radio_buttons", "selected_option": {"value": "negative"}}}
    status, body = server.send(
        interactive_body(view_submission("relabel_submit", values, private_metadata=metadata))
    )
    assert status == 200 and json.loads(body)["response_action"] == "update"
    (row,) = repo.list_feedback(server.db, team_id=ALL_WORKSPACES)
    assert (row.label, row.predicted_label) == ("negative", "positive")


def test_install_route_is_off_without_oauth(server: Served) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(server.base_url + "/slack/install", timeout=5)
    assert failure.value.code == 404
