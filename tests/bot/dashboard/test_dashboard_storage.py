"""The overview read from a real (SQLite) database through the storage repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dashboard import overview
from bot.services import Services
from storage.database import Database
from storage.workspaces import ALL_WORKSPACES
from tests.bot.dashboard.fakes import make_services, make_settings


@pytest.fixture
def seeded(tmp_path: Path, sqlite_db: Database) -> Services:
    from tests.bot.dashboard.seed import seed_dashboard

    db = sqlite_db
    model_dir = tmp_path / "clf-test-1"
    model_dir.mkdir()
    (model_dir / "roc.png").write_bytes(b"png")
    services = make_services(make_settings(tmp_path), db)
    services.total = seed_dashboard(db, version="clf-test-1", path=model_dir)  # type: ignore[attr-defined]
    return services


def test_overview_reads_every_section_from_storage(seeded: Services) -> None:
    data = overview.collect(seeded, scope=ALL_WORKSPACES)
    assert data.problems == []
    assert data.classifier.version == "clf-test-1"
    assert ("macro_f1", "0.712") in data.classifier.metrics
    assert len(data.label_days) == overview.DAYS
    assert sum(sum(c.values()) for _, c in data.label_days) == seeded.total  # type: ignore[attr-defined]
    assert data.feedback_total == 3 and data.feedback_recent == 3
    assert [(r.name, r.threshold, r.fired) for r in data.drift if r.name == "label_psi"] == [
        ("label_psi", "0.200", True)
    ]
    assert data.runs[0].outcome == "rejected"
    assert (data.runs[0].before, data.runs[0].after) == ("macro_f1 0.712", "macro_f1 0.695")
    assert data.plots == ["roc"]
