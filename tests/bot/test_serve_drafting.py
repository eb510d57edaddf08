"""`triagebot serve` with a tiny generator: drafts inside the server, and the generator reported.

The generator loads in the background after start-up; `/readyz`, the dashboard's model card and
`triagebot_model_info` must all name it once it is in (they read `Drafter.generators`).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.dashboard.server import wait_for_generator
from tests.fixtures.slack import (
    FakeSlack,
    command_body,
    drafting_serve_env,
    post,
    signed_headers,
    triagebot_serve,
)

pytestmark = pytest.mark.slow

GENERATOR = "tiny-lm:fp32"  # the directory's name and the precision it runs at


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def served(
    _fake_slack_server: FakeSlack,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_classifier_dir: Path,
    tiny_lm_dir: Path,
) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("serve-drafting")
    env = drafting_serve_env(
        _fake_slack_server, workdir, classifier_dir=tiny_classifier_dir, lm_dir=tiny_lm_dir
    )
    # no DASHBOARD_PASSWORD, loopback opt-in: the dashboard answers this (loopback) client
    env["DASHBOARD_OPEN_ON_LOOPBACK"] = "true"
    with triagebot_serve(env, workdir) as base_url:
        yield base_url


def test_the_loaded_generator_is_reported_everywhere(served: str) -> None:
    ready = wait_for_generator(served)
    assert ready["status"] == "ready"
    assert ready["checks"]["generator"] == f"ok ({GENERATOR})"

    status, page = get(served + "/")
    assert status == 200
    card = re.search(r'id="model-generator".*?class="served">([^<]*)<', page, re.S)
    assert card is not None and card.group(1) == GENERATOR

    _, text = get(served + "/metrics")
    assert f'triagebot_model_info{{kind="generator",version="{GENERATOR}"}} 1.0' in text


def test_draft_command_is_answered_by_the_generator(served: str, fake_slack: FakeSlack) -> None:
    wait_for_generator(served)
    body = command_body("/draft", "I was charged twice", response_url=fake_slack.response_url())
    status, ack = post(served + "/slack/events", body, signed_headers(body))
    assert status == 200 and "Drafting a reply" in ack
    (answer,) = fake_slack.wait_for("response_url", timeout=60)
    assert answer.params["text"].startswith("Suggested reply: ")
    assert GENERATOR in json.dumps(answer.params["blocks"])
