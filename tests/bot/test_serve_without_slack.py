"""`triagebot serve` before Slack is connected: the server comes up, Slack routes say what is missing."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from storage.database import Database
from tests.fixtures.fake_slack import post, serve_process, triagebot_command

pytestmark = pytest.mark.slow


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_serve_starts_without_slack_credentials(tmp_path: Path, tiny_classifier_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    Database.from_url(url).upgrade()
    env = {
        "SLACK_BOT_TOKEN": "",
        "SLACK_SIGNING_SECRET": "",
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "var"),
        "CLASSIFIER_PATH": str(tiny_classifier_dir),
        "TRIAGE_DRAFTS_ENABLED": "false",
        "SCHEDULER_ENABLED": "false",
        "WEB_WORKERS": "1",
    }

    def slack_unavailable(base_url: str) -> bool:
        return post(base_url + "/slack/events", "", {})[0] == 503

    with serve_process(triagebot_command(), env, tmp_path, ready=slack_unavailable) as base_url:
        status, body = post(base_url + "/slack/events", "token=x", {})
        assert status == 503 and "SLACK_SIGNING_SECRET" in body
        assert _status(base_url + "/healthz") == 200
        assert _status(base_url + "/readyz") == 200
    log = (tmp_path / "serve.log").read_text()
    assert "Slack is not connected yet" in log and "listening on" in log
