"""`/healthz`, `/readyz` and `/metrics` with the real services over stand-in models."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from bot.services import Services
from storage.database import Database
from tests.bot.dashboard.fakes import make_app, make_services, make_settings


@pytest.fixture
def services(tmp_path: Path, sqlite_db: Database) -> Services:
    return make_services(make_settings(tmp_path), sqlite_db)


@pytest.fixture
def app(services: Services) -> Flask:
    return make_app(services)


def _refused() -> bool:
    raise ConnectionError("connection refused")


def _outdated() -> None:
    raise RuntimeError("database schema is at 0001, code expects 0002")


def test_healthz_answers_while_not_ready(
    app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.db, "ping", _refused)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_each_cause_and_recovers(
    app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    assert client.get("/readyz").status_code == 200

    with monkeypatch.context() as patch:
        patch.setattr(services.db, "ping", _refused)
        down = client.get("/readyz")
    assert down.status_code == 503
    assert "database: unreachable" in down.get_json()["reason"]

    with monkeypatch.context() as patch:
        patch.setattr(services.db, "check_current", _outdated)
        outdated = client.get("/readyz").get_json()
    assert outdated["checks"]["migrations"] == "fail" and "0002" in outdated["reason"]

    previous = services.classifier.swap(None)
    assert "no classifier loaded" in client.get("/readyz").get_json()["reason"]

    services.classifier.swap(previous)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


def test_readyz_reports_the_generator_without_failing_on_it(app: Flask, services: Services) -> None:
    client = app.test_client()
    assert client.get("/readyz").get_json()["checks"]["generator"] == "ok (gen-test)"
    assert services.drafter is not None
    services.drafter.generators.swap(None)
    loading = client.get("/readyz")
    assert loading.status_code == 200
    assert loading.get_json()["checks"]["generator"] == "not loaded"
    services.drafter = None
    assert client.get("/readyz").get_json()["checks"]["generator"] == "off"


def test_readyz_needs_no_login(app: Flask, services: Services) -> None:
    assert (
        app.test_client().get("/readyz", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code
        == 200
    )


def test_metrics_exposes_prometheus_text(app: Flask) -> None:
    client = app.test_client()
    client.post("/api/classify", json={"text": "refund now"}, headers={"Authorization": "Bearer x"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert 'triagebot_requests_total{kind="api_classify"}' in text
    assert 'triagebot_model_info{kind="classifier",version="clf-test-1"} 1.0' in text


def test_metrics_include_totals_from_storage(tmp_path: Path, sqlite_db: Database) -> None:
    from tests.bot.dashboard.seed import seed_dashboard

    seed_dashboard(sqlite_db, version="clf-test-1", path=tmp_path, days=2)
    text = make_app(make_services(make_settings(tmp_path), sqlite_db)).test_client().get("/metrics")
    body = text.get_data(as_text=True)
    assert 'triagebot_training_runs_recorded{outcome="rejected"} 1.0' in body
    assert 'triagebot_training_runs_recorded{outcome="promoted"} 0.0' in body
    assert "triagebot_feedback_recorded 3.0" in body
    assert 'triagebot_drift_value{metric="label_psi"} 0.27' in body
    assert 'triagebot_drift_fired{metric="label_psi"} 1.0' in body
    assert 'triagebot_model_info{kind="generator",version="gen-test"} 1.0' in body
