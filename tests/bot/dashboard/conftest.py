"""Fixtures of the dashboard tests: hand-built services and a Flask app with the dashboard."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from bot.dashboard import overview
from bot.services import Services
from bot.settings import load_settings
from storage.database import Database
from tests.bot.dashboard.browser import CHROMIUM, CHROMIUM_ARGS
from tests.bot.dashboard.case_seed import ADMIN_A, ADMIN_B, A, B
from tests.bot.dashboard.fakes import (
    PASSWORD,
    FakeDrafter,
    fake_repo,
    make_app,
    make_services,
    make_settings,
)
from tests.fixtures.slack import FakeSlack


@pytest.fixture
def services(tmp_path: Path, sqlite_db: Database) -> Services:
    return make_services(make_settings(tmp_path), sqlite_db)


@pytest.fixture
def two_workspaces(fake_slack: FakeSlack, tmp_path: Path, sqlite_db: Database) -> Flask:
    """The dashboard of an instance that workspaces A and B installed through OAuth: their
    admins (ADMIN_A, ADMIN_B) sign in with Slack, the password sees every workspace."""
    settings = load_settings(
        None,
        models={"DATA_DIR": str(tmp_path), "CLASSIFIER_PATH": ""},
        storage={"DATABASE_URL": "sqlite://"},
        server={"SESSION_SECRET": "test-secret", "DASHBOARD_PASSWORD": PASSWORD},
        slack={
            "SLACK_API_BASE_URL": fake_slack.base_url,
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_SIGNING_SECRET": "signing-secret",
        },
    )
    services = make_services(settings, sqlite_db)
    bots = {team: SimpleNamespace(bot_token=f"xoxb-{team}") for team in (A, B)}
    services.installation_store = SimpleNamespace(
        find_bot=lambda *, enterprise_id, team_id, is_enterprise_install=False: bots.get(team_id)
    )
    fake_slack.admins_by_token[f"xoxb-{A}"] = {ADMIN_A}
    fake_slack.admins_by_token[f"xoxb-{B}"] = {ADMIN_B}
    return make_app(services)


@pytest.fixture
def drafter(services: Services) -> FakeDrafter:
    """The services' drafter, as the fake it is (its `calls` record what was drafted)."""
    assert isinstance(services.drafter, FakeDrafter)
    return services.drafter


@pytest.fixture
def app(services: Services) -> Flask:
    return make_app(services)


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x2b\x59\xc3")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png_1x1()


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "models" / "clf-test-1"
    directory.mkdir(parents=True)
    for name in ("roc", "confusion"):
        (directory / f"{name}.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(b"not for you")
    return directory


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> None:
    today = datetime.now(UTC).date()
    active = SimpleNamespace(
        version="clf-test-1",
        path=str(model_dir),
        status="active",
        activated_at=None,
        metrics={"macro_f1": 0.712, "accuracy": 0.8, "per_class": {"negative": {}}},
    )
    run = SimpleNamespace(
        started_at=datetime(2026, 11, 20, 3, 0),
        trigger="schedule",
        outcome="rejected",
        reason="candidate not better",
        candidate_version="clf-test-2",
        metrics={"active": {"macro_f1": 0.71}, "candidate": {"macro_f1": 0.69}},
    )
    drift = SimpleNamespace(
        created_at=datetime(2026, 11, 24, 2, 30),
        fired=["label_psi"],
        metrics={"label_psi": 0.31, "correction_rate": 0.05, "window": "7d"},
    )
    repo = fake_repo(
        get_active_model_version=lambda db, *, kind: active if kind == "classifier" else None,
        label_counts_by_day=lambda db, *, team_id, since: [
            (today, "negative", 3),
            (today, "positive", 1),
            (today - timedelta(days=40), "neutral", 9),
        ],
        latest_drift_report=lambda db: drift,
        count_feedback=lambda db, *, team_id, since=None: 7 if since is None else 4,
        correction_rate=lambda db, *, team_id, since: 0.125,
        list_training_runs=lambda db, *, limit=20: [run],
    )
    monkeypatch.setattr(overview, "_repo", lambda: repo)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh Chromium profile driven by Playwright (Debian's /usr/bin/chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make services`")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(30_000)
        yield context
        context.close()
