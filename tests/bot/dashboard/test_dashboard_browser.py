"""The dashboard blueprint alone in headless Chromium (hand-built services, fake storage)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.bot.dashboard.browser import drive_dashboard
from tests.bot.dashboard.server import serve_in_thread

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("stored")
def test_dashboard_blueprint_in_chromium(browser_context: Any, app: Any, tmp_path: Path) -> None:
    with serve_in_thread(app) as base_url:
        drive_dashboard(browser_context, base_url, "clf-test-1", tmp_path / "dashboard.png")
