"""Hand-built services (fake predictor, drafter, database) and helpers for the dashboard tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import Flask

from bot import dashboard, ops
from bot.admin import AdminChecker
from bot.settings import Settings, load_settings
from models.holder import ModelHolder
from models.types import Draft, Prediction

PASSWORD = "correct horse battery staple"


class FakePredictor:
    """Says "negative" for texts that mention a refund, "positive" for thanks, else "neutral"."""

    version = "clf-test-1"

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for text in texts:
            lowered = text.lower()
            label = (
                "negative"
                if "refund" in lowered
                else "positive"
                if "thank" in lowered
                else "neutral"
            )
            scores = {k: 0.1 for k in ("negative", "neutral", "positive")}
            scores[label] = 0.8
            out.append(Prediction(label, 0.8, scores, self.version))
        return out


class FakeDrafter:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.generator_holder: ModelHolder[Any] = ModelHolder(SimpleNamespace(name="gen-test"))

    def draft(
        self,
        text: str,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
        tone: str | None = None,
    ) -> Draft:
        self.calls.append((text, tone))
        return Draft(
            f"Sorry to hear that, we are on it ({len(text)} chars).", "gen-test", None, 12.0
        )


class FakeDb:
    def __init__(self) -> None:
        self.up = True
        self.current = True

    def ping(self) -> bool:
        if not self.up:
            raise ConnectionError("connection refused")
        return True

    def check_current(self) -> None:
        if not self.current:
            raise RuntimeError("database schema is at 0001, code expects 0002")


@dataclass
class FakeServices:
    settings: Settings
    db: Any = field(default_factory=FakeDb)
    classifier: ModelHolder[Any] = field(default_factory=lambda: ModelHolder(FakePredictor()))
    drafter: Any = field(default_factory=FakeDrafter)
    retrainer: Any = None

    def is_admin(self, client: Any, user_id: str | None) -> bool:
        return AdminChecker(self.settings.slack.admin_ids).is_admin(client, user_id)


def make_settings(tmp_path: Path, password: str | None = PASSWORD, **server: Any) -> Settings:
    values = {"SESSION_SECRET": "test-secret", **server}
    if password is not None:
        values["DASHBOARD_PASSWORD"] = password
    return load_settings(
        None,
        models={"DATA_DIR": str(tmp_path), "CLASSIFIER_PATH": ""},
        storage={"DATABASE_URL": "sqlite://"},
        server=values,
    )


def make_app(services: Any) -> Flask:
    app = Flask("dashboard-test")
    dashboard.register(app, services)
    ops.register(app, services)
    return app


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def signed_in_client(app: Flask) -> Any:
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    assert response.status_code == 302
    return client


FakeRepo = Callable[..., Any]


def fake_repo(**overrides: Any) -> SimpleNamespace:
    """A stand-in for `storage.repositories` with empty answers unless overridden."""
    base: dict[str, Any] = {
        "get_active_model_version": lambda db, *, kind: None,
        "label_counts_by_day": lambda db, *, since: [],
        "latest_drift_report": lambda db: None,
        "count_feedback": lambda db, *, since=None: 0,
        "correction_rate": lambda db, *, since: None,
        "list_training_runs": lambda db, *, limit=20: [],
    }
    base.update(overrides)
    return SimpleNamespace(**base)
