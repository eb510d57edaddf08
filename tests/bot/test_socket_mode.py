"""`triagebot serve --socket-mode`: the app-level token, the handler, envelopes acked over the socket."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import composition, server
from bot.settings import load_settings
from storage.database import Database
from tests.fixtures.fake_socket_mode import FakeSocketMode
from tests.fixtures.slack import (
    BotHarness,
    FakeSlack,
    command_body,
    event_body,
    message_event,
    serve_env,
    serve_process,
)

APP_TOKEN = "xapp-1-A0TEST-1-secret"


def test_socket_mode_without_app_token_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run(  # in an empty directory: no database, no .env
        [sys.executable, "-m", "bot.cli", "--env-file", "/nonexistent", "serve", "--socket-mode"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxb-1"},
        timeout=120,
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("triagebot serve:") and "SLACK_APP_TOKEN" in line


@pytest.fixture
def handler(
    bot: BotHarness, slack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> SocketModeHandler:
    """The handler `run_socket_mode` builds and starts (the WebSocket itself stays closed)."""
    started: list[SocketModeHandler] = []
    monkeypatch.setattr(SocketModeHandler, "start", lambda self: started.append(self))
    monkeypatch.setattr(composition, "build_services", lambda settings: bot.services)
    slack = {k: v for k, v in slack_env.items() if k.startswith(("SLACK_", "TRIAGE_"))}
    slack["SLACK_SIGNING_SECRET"] = ""  # Socket Mode needs none
    slack["SLACK_APP_TOKEN"] = APP_TOKEN
    assert server.run_socket_mode(load_settings(None, slack=slack)) == 0
    (started_handler,) = started
    return started_handler


def deliver(handler: SocketModeHandler, kind: str, payload: dict[str, Any]) -> SocketModeResponse:
    """Hand an envelope to the handler the way the socket client does; return what it sends back."""
    sent: list[SocketModeResponse] = []
    handler.client.send_socket_mode_response = sent.append  # type: ignore[method-assign,assignment]
    handler.handle(
        handler.client, SocketModeRequest(type=kind, envelope_id="env-1", payload=payload)
    )
    (response,) = sent
    assert response.envelope_id == "env-1"
    return response


def test_handler_uses_the_app_token_and_the_apps_client(
    handler: SocketModeHandler, fake_slack: FakeSlack
) -> None:
    assert handler.client.app_token == APP_TOKEN
    # apps.connections.open goes where SLACK_API_BASE_URL points (GovSlack, tests)
    assert handler.client.web_client is handler.app.client
    assert handler.app.client.base_url == fake_slack.base_url


def test_slash_command_envelope_is_acked_and_answered(
    handler: SocketModeHandler, fake_slack: FakeSlack
) -> None:
    command = command_body(
        "/sentiment", "my order never arrived", response_url=fake_slack.response_url()
    )
    deliver(handler, "slash_commands", dict(parse_qsl(command)))
    (answer,) = fake_slack.wait_for("response_url")
    assert "negative" in answer.params["text"]


def test_event_envelope_reaches_the_listener_without_a_signature(
    handler: SocketModeHandler, fake_slack: FakeSlack
) -> None:
    mention = {"type": "app_mention", "user": "U0USER", "channel": "C0SUPPORT", "ts": "3.1"}
    deliver(handler, "events_api", json.loads(event_body(mention, event_id="EvSock1")))
    (reply,) = fake_slack.wait_for("chat.postMessage")
    assert (reply.params["channel"], reply.params["thread_ts"]) == ("C0SUPPORT", "3.1")


@pytest.fixture
def socket_served(
    fake_slack: FakeSlack, tmp_path: Path, tiny_classifier_dir: Path
) -> Iterator[FakeSocketMode]:
    """`triagebot serve --socket-mode` connected to a fake Socket Mode endpoint."""
    endpoint = FakeSocketMode()
    fake_slack.answer("apps.connections.open", {"ok": True, "url": endpoint.url}, times=20)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    db = Database.from_url(url)
    db.upgrade()
    env = serve_env(fake_slack, tmp_path, database_url=url, classifier_dir=tiny_classifier_dir)
    env.update({"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""})
    command = [str(Path(sys.executable).parent / "triagebot"), "serve", "--socket-mode"]
    try:
        with serve_process(command, env, tmp_path, ready=lambda _: endpoint.connected):
            yield endpoint
    finally:
        endpoint.close()
        db.dispose()


@pytest.mark.slow
def test_serve_socket_mode_acks_envelopes_over_a_real_websocket(
    socket_served: FakeSocketMode, fake_slack: FakeSlack
) -> None:
    (opened,) = fake_slack.calls_to("apps.connections.open")[:1]
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"

    command = command_body("/sentiment", "hello there", response_url=fake_slack.response_url())
    socket_served.send(
        {
            "envelope_id": "env-cmd",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": dict(parse_qsl(command)),
        }
    )
    assert socket_served.wait_for_ack("env-cmd") is not None
    (answer,) = fake_slack.wait_for("response_url")
    assert "feedback_wrong" in json.dumps(answer.params["blocks"])

    event = json.loads(event_body(message_event("where is my parcel", ts="77.1"), event_id="EvW"))
    socket_served.send(
        {"envelope_id": "env-ev", "type": "events_api", "payload": event, "retry_attempt": 0}
    )
    assert socket_served.wait_for_ack("env-ev") is not None
    (reaction,) = fake_slack.wait_for("reactions.add")
    assert (reaction.params["channel"], reaction.params["timestamp"]) == ("C0SUPPORT", "77.1")
