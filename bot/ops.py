"""Operations endpoints: `/healthz` (alive), `/readyz` (able to serve), `/metrics` (Prometheus).

`/readyz` answers 503 with the reason while the classifier is not loaded, the database does not
answer or its schema is behind the code; it recovers by itself once the cause is gone.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask, Response, jsonify

from bot import metrics
from bot.services import Services, served_classifier, served_generator
from storage.database import Database

logger = logging.getLogger(__name__)

RUNS_SCANNED = 1000  # the training-run gauge counts this many most recent runs


@dataclass
class Readiness:
    """The outcome of the readiness checks: each check's state and the first reason to refuse."""

    checks: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.reasons

    def fail(self, name: str, reason: str) -> None:
        self.checks[name] = "fail"
        self.reasons.append(f"{name}: {reason}")


def check_readiness(services: Services) -> Readiness:
    """Run every readiness check; never raises."""
    result = Readiness()
    predictor = services.classifier.get_or_none()
    if predictor is None:
        result.fail("classifier", "no classifier loaded")
    else:
        result.checks["classifier"] = f"ok ({predictor.version})"
    result.checks["generator"] = _generator_state(services)  # informational: drafts are optional
    _check_database(services.db, result)
    return result


def _generator_state(services: Services) -> str:
    if services.drafter is None:
        return "off"
    name = served_generator(services.drafter)
    return f"ok ({name})" if name else "not loaded"


def _check_database(db: Database, result: Readiness) -> None:
    try:
        answered = db.ping()
    except Exception as exc:  # any driver error means "not reachable"
        logger.warning("readiness: database ping failed: %s", exc)
        result.fail("database", f"unreachable ({type(exc).__name__}: {_short(exc)})")
        result.checks["migrations"] = "unknown"
        return
    if answered is False:
        result.fail("database", "unreachable (ping failed)")
        result.checks["migrations"] = "unknown"
        return
    result.checks["database"] = "ok"
    try:
        db.check_current()
    except Exception as exc:  # SchemaOutdated, or the database vanished in between
        logger.warning("readiness: schema check failed: %s", exc)
        result.fail("migrations", _short(exc))
        return
    result.checks["migrations"] = "ok"


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _refresh_gauges(services: Services) -> None:
    """Bring the gauges read from storage up to date before a scrape (shared by all processes)."""
    metrics.set_model_version("classifier", served_classifier(services.classifier))
    metrics.set_model_version("generator", served_generator(services.drafter))
    try:
        from storage import repositories as repo

        report = repo.latest_drift_report(services.db)
        runs = repo.list_training_runs(services.db, limit=RUNS_SCANNED)
        feedback = repo.count_feedback(services.db, team_id=repo.ALL_WORKSPACES)
        metrics.set_outbox_rows(repo.count_outbox_by_status(services.db))
    except Exception as exc:  # metrics must still be served without a database
        logger.debug("metrics: storage gauges not refreshed: %s", exc)
        return
    if report is not None:
        metrics.set_drift(report.metrics or {}, report.fired or ())
    metrics.set_stored_counts(
        runs_by_outcome=Counter(run.outcome or "running" for run in runs), feedback=feedback
    )


def register(flask_app: Flask, services: Services) -> None:
    """Add `/healthz`, `/readyz` and `/metrics` to `flask_app`."""

    def healthz() -> Response:
        return jsonify(status="ok")

    def readyz() -> tuple[Response, int]:
        result = check_readiness(services)
        body = {"status": "ready" if result.ready else "unavailable", "checks": result.checks}
        if not result.ready:
            body["reason"] = "; ".join(result.reasons)
        return jsonify(body), 200 if result.ready else 503

    def prometheus() -> Response:
        _refresh_gauges(services)
        return Response(metrics.render(), mimetype=None, content_type=metrics.CONTENT_TYPE)

    flask_app.add_url_rule("/healthz", "ops_healthz", healthz, methods=["GET"])
    flask_app.add_url_rule("/readyz", "ops_readyz", readyz, methods=["GET"])
    flask_app.add_url_rule("/metrics", "ops_metrics", prometheus, methods=["GET"])
