"""End to end: `triagebot serve` on a free port, driven in headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.dashboard.browser import drive_dashboard
from tests.bot.dashboard.fakes import PASSWORD
from tests.bot.dashboard.server import serve_env, triagebot_serve, wait_for_generator

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(
    tmp_path: Path, tiny_classifier_dir: Path, tiny_lm_dir: Path
) -> Iterator[tuple[str, str]]:
    """A seeded SQLite database and `triagebot serve` on it with the tiny generator loaded:
    (base URL, classifier version)."""
    from storage.database import Database
    from tests.bot.dashboard.seed import seed_dashboard, write_plots

    model_dir = tmp_path / "models" / Path(tiny_classifier_dir).name
    shutil.copytree(tiny_classifier_dir, model_dir)  # the fixture's dir is shared: plot a copy
    write_plots(model_dir)
    url = f"sqlite:///{tmp_path / 'triagebot.db'}"
    db = Database.from_url(url)
    db.upgrade()
    seed_dashboard(db, version=model_dir.name, path=model_dir)
    db.dispose()
    env = serve_env(
        tmp_path,
        database_url=url,
        classifier_dir=model_dir,
        generator_dir=tiny_lm_dir,
        password=PASSWORD,
    )
    with triagebot_serve(env, tmp_path) as base_url:
        ready = wait_for_generator(base_url)
        assert ready["checks"]["generator"].startswith("ok"), ready  # the "try" form drafts
        yield base_url, model_dir.name


def test_dashboard_served_by_triagebot_serve(
    browser_context: Any, served: tuple[str, str], tmp_path: Path
) -> None:
    base_url, version = served
    drive_dashboard(browser_context, base_url, version, tmp_path / "dashboard.png")
