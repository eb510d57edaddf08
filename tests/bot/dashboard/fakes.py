"""Stand-in models (a predictor, a generator, a drafter), real `Services` and dashboard helpers.

The stand-ins implement the Protocols the production classes satisfy (`bot.services.Predictor`
and `bot.services.Drafter` by subclassing, `models.generator.DraftGenerator` where a holder is
typed with it) and mypy checks this module, so a renamed member breaks the type check instead
of leaving a fake that no longer matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from flask import Flask

from bot import dashboard, ops
from bot.services import Predictor, Services, UnavailableRetrainer
from bot.settings import Settings, load_settings
from bot.web import add_api_rate_limit, add_security_headers
from models.holder import ModelHolder
from models.types import Draft, Prediction
from storage.database import Database
from tests.fixtures.slack import RecordingDrafter

if TYPE_CHECKING:
    pass

PASSWORD = "correct horse battery staple"


class FakePredictor(Predictor):
    """Says "negative" for texts that mention a refund, "positive" for thanks, else "neutral"."""

    version = "clf-test-1"

    def predict(
        self, texts: Sequence[str], team_ids: Sequence[str | None] | None = None
    ) -> list[Prediction]:
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


class CannedGenerator:
    """A `DraftGenerator` that answers every message with an apology naming its length."""

    name = "gen-test"

    def draft(
        self,
        message: str,
        *,
        sentiment: str | None = None,
        tone: str | None = None,
        examples: Sequence[tuple[str, str]] = (),
        max_new_tokens: int | None = None,
    ) -> Draft:
        return Draft(
            f"Sorry to hear that, we are on it ({len(message)} chars).", self.name, None, 12.0
        )


class FakeDrafter(RecordingDrafter):
    """Drafts with `CannedGenerator`; remembers (text, tone) of every request."""

    def __init__(self) -> None:
        super().__init__(CannedGenerator())


def make_services(settings: Settings, db: Database) -> Services:
    """The real `Services` over `db` with the stand-in models and no retraining."""
    return Services(
        settings=settings,
        db=db,
        classifier=ModelHolder(FakePredictor()),
        drafter=FakeDrafter(),
        retrainer=UnavailableRetrainer(),
    )


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


def make_app(services: Services) -> Flask:
    app = Flask("dashboard-test")
    add_security_headers(app)  # as `create_web_app` does for the composed app
    add_api_rate_limit(app, services.settings)
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
        "label_counts_by_day": lambda db, *, team_id, since: [],
        "latest_drift_report": lambda db: None,
        "count_feedback": lambda db, *, team_id, since=None: 0,
        "correction_rate": lambda db, *, team_id, since: None,
        "list_training_runs": lambda db, *, limit=20: [],
        "list_failed": lambda db, *, team_id, limit=20: [],
    }
    base.update(overrides)
    return SimpleNamespace(**base)
