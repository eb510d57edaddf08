"""Workflow Builder steps the way Slack runs them: signed `function_executed` events over HTTP to
`triagebot serve` (tiny classifier and generator), step results at the fake Slack.

Every wait is for something the server does (a call at the fake Slack, a counter in `/metrics`),
never for a stretch of time.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bot.dashboard.server import wait_for_generator
from tests.fixtures.slack import (
    TEAM_ID,
    BotHarness,
    Call,
    FakeSlack,
    drafting_serve_env,
    event_body,
    post,
    signed_headers,
    triagebot_serve,
)

ROOT = Path(__file__).resolve().parents[3]
LABELS = {"negative", "neutral", "positive"}
slow = pytest.mark.slow  # each module starts one `triagebot serve` with two tiny models
SUCCESS, ERROR = "functions.completeSuccess", "functions.completeError"


def function_executed(
    callback_id: str, *, text: str | None, execution_id: str, team_id: str = TEAM_ID
) -> dict[str, Any]:
    """A `function_executed` event as Slack sends it when a workflow reaches one of our steps."""
    return {
        "type": "function_executed",
        "function": {
            "id": f"Fn-{callback_id}",
            "callback_id": callback_id,
            "title": callback_id,
            "description": "",
            "type": "app",
            "input_parameters": [],
            "output_parameters": [],
            "app_id": "A0TEST",
            "date_created": 1_700_000_000,
            "date_updated": 1_700_000_000,
            "date_deleted": 0,
        },
        "inputs": {} if text is None else {"text": text},
        "function_execution_id": execution_id,
        "workflow_execution_id": f"Wx-{execution_id}",
        "event_ts": "1700000000.000100",
        "bot_access_token": "xwfp-test-workflow-token",
    }


def declared_outputs(callback_id: str) -> set[str]:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return set(manifest["functions"][callback_id]["output_parameters"]["properties"])


def step_calls(fake: FakeSlack, method: str, execution_id: str) -> list[Call]:
    return [
        c for c in fake.calls_to(method) if c.params.get("function_execution_id") == execution_id
    ]


def wait_for_step(fake: FakeSlack, method: str, execution_id: str, count: int = 1) -> list[Call]:
    """The `method` calls that ended step `execution_id`, once there are `count` of them."""
    fake.wait_until(
        lambda: len(step_calls(fake, method, execution_id)) >= count,
        timeout=120,
        what=f"{count} {method} call(s) for {execution_id}",
    )
    return step_calls(fake, method, execution_id)


def outputs(call: Call) -> dict[str, Any]:
    """A completeSuccess call's outputs (slack_sdk sends them as JSON text in a form field)."""
    value = call.params["outputs"]
    return dict(json.loads(value) if isinstance(value, str) else value)


# ---------------------------------------------------------------- `triagebot serve` over HTTP
@pytest.fixture(scope="module")
def served(
    _fake_slack_server: FakeSlack,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_classifier_dir: Path,
    tiny_lm_dir: Path,
) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("serve-steps")
    env = drafting_serve_env(
        _fake_slack_server, workdir, classifier_dir=tiny_classifier_dir, lm_dir=tiny_lm_dir
    )
    with triagebot_serve(env, workdir) as base_url:
        yield base_url


def run_step(served: str, event: dict[str, Any], *, event_id: str, retry: int = 0) -> None:
    """Deliver the event signed like Slack (a redelivery carries X-Slack-Retry-Num); Bolt acks
    it at once."""
    body = event_body(event, event_id=event_id)
    headers = signed_headers(body, content_type="application/json")
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    status, _ = post(served + "/slack/events", body, headers)
    assert status == 200


def counter(served: str, name: str, **labels: str) -> float:
    with urllib.request.urlopen(served + "/metrics", timeout=10) as response:
        text = response.read().decode()
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    found = re.search(rf"^{name}\{{{re.escape(selector)}\}} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


@slow
def test_classify_step_completes_with_label_and_confidence(
    served: str, fake_slack: FakeSlack
) -> None:
    run_step(
        served,
        function_executed("classify_sentiment", text="my order never arrived", execution_id="Fx1"),
        event_id="Ev-step-1",
    )
    (call,) = wait_for_step(fake_slack, SUCCESS, "Fx1")
    result = outputs(call)
    assert set(result) == declared_outputs("classify_sentiment")
    assert result["label"] in LABELS
    assert isinstance(result["confidence"], float) and 0.0 <= result["confidence"] <= 1.0
    assert call.headers["authorization"] == "Bearer xoxb-test-token"  # the workspace's bot
    assert step_calls(fake_slack, ERROR, "Fx1") == []


@slow
def test_draft_step_completes_with_a_draft(served: str, fake_slack: FakeSlack) -> None:
    assert wait_for_generator(served)["checks"]["generator"].startswith("ok")
    run_step(
        served,
        function_executed("draft_reply", text="I was charged twice", execution_id="Fx2"),
        event_id="Ev-step-2",
    )
    (call,) = wait_for_step(fake_slack, SUCCESS, "Fx2")
    result = outputs(call)
    assert set(result) == declared_outputs("draft_reply")
    assert isinstance(result["draft"], str) and result["draft"].strip()


@slow
@pytest.mark.parametrize("step", ["classify_sentiment", "draft_reply"])
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "its *text* input is empty"),
        ("   ", "its *text* input is empty"),
        ("x" * 4_001, "The text is 4,001 characters long; this step takes at most 4,000."),
    ],
    ids=["missing", "blank", "oversized"],
)
def test_unusable_text_ends_the_step_with_a_clear_error(
    served: str, fake_slack: FakeSlack, step: str, text: str | None, reason: str
) -> None:
    execution_id = f"Fx-{step}-{len(text) if text is not None else 'none'}"
    run_step(
        served,
        function_executed(step, text=text, execution_id=execution_id),
        event_id=f"Ev-{execution_id}",
    )
    (call,) = wait_for_step(fake_slack, ERROR, execution_id)
    assert reason in call.params["error"]
    assert step_calls(fake_slack, SUCCESS, execution_id) == []


@slow
def test_an_unknown_step_ends_with_an_error_naming_it(served: str, fake_slack: FakeSlack) -> None:
    run_step(
        served,
        function_executed("summarise_thread", text="hello", execution_id="Fx3"),
        event_id="Ev-step-3",
    )
    (call,) = wait_for_step(fake_slack, ERROR, "Fx3")
    assert call.params["error"] == "triagebot has no step called 'summarise_thread'."


@slow
def test_a_redelivered_event_runs_the_step_once(served: str, fake_slack: FakeSlack) -> None:
    event = function_executed("classify_sentiment", text="thanks, great help", execution_id="Fx4")
    retries_before = counter(served, "triagebot_requests_total", kind="function_retry")
    run_step(served, event, event_id="Ev-step-4")
    wait_for_step(fake_slack, SUCCESS, "Fx4")
    run_step(served, event, event_id="Ev-step-4", retry=1)
    fake_slack.wait_until(
        lambda: counter(served, "triagebot_requests_total", kind="function_retry") > retries_before,
        what="the redelivery dropped",
    )
    assert len(step_calls(fake_slack, SUCCESS, "Fx4")) == 1  # the retry started nothing


@slow
def test_a_refused_completion_is_retried_by_the_outbox(served: str, fake_slack: FakeSlack) -> None:
    fake_slack.server_error(SUCCESS, status=503)  # the first completeSuccess fails
    run_step(
        served,
        function_executed("classify_sentiment", text="it is broken again", execution_id="Fx5"),
        event_id="Ev-step-5",
    )
    first, second = wait_for_step(fake_slack, SUCCESS, "Fx5", count=2)
    assert (first.status, second.status) == (503, 200)
    assert outputs(first) == outputs(second)  # the same stored write, sent again


# ---------------------------------------------------------------- in-process, stand-in drafter
def test_the_draft_is_grounded_in_the_signed_workspace(bot: BotHarness) -> None:
    event = function_executed("draft_reply", text="where is my parcel", execution_id="Fx6")
    assert bot.send(event_body(event, event_id="Ev-step-6"), json_body=True).status == 200
    bot.settle()
    assert bot.drafter.teams == [TEAM_ID]
    (call,) = step_calls(bot.slack, SUCCESS, "Fx6")
    assert outputs(call) == {"draft": "Sorry about that! Draft 1."}


def test_a_busy_queue_ends_the_step_instead_of_leaving_it_waiting(bot: BotHarness) -> None:
    bot.services.jobs = None  # nothing takes jobs: `submit` says no at once
    event = function_executed("classify_sentiment", text="hello", execution_id="Fx7")
    bot.send(event_body(event, event_id="Ev-step-7"), json_body=True)
    bot.settle()
    (call,) = step_calls(bot.slack, ERROR, "Fx7")
    assert "busy" in call.params["error"]
    assert bot.predictor.seen == []


def test_drafts_turned_off_end_the_draft_step_with_an_error(bot: BotHarness) -> None:
    bot.services.drafter = None
    event = function_executed("draft_reply", text="hello", execution_id="Fx8")
    bot.send(event_body(event, event_id="Ev-step-8"), json_body=True)
    bot.settle()
    (call,) = step_calls(bot.slack, ERROR, "Fx8")
    assert "turned off" in call.params["error"]
