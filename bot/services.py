"""The services listeners reach through closures: settings, database, models and the retrainer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.permissions import AdminChecker
from bot.recent_events import RecentEvents
from bot.settings import Settings
from models.holder import ModelHolder
from storage.database import Database

if TYPE_CHECKING:
    from bot.jobs.queue import JobQueue
    from bot.jobs.types import Job
    from models.generator import DraftGenerator
    from models.types import Draft, Prediction

logger = logging.getLogger(__name__)

Notify = Callable[[str], None]


class Predictor(Protocol):
    """What the bot needs from a classifier (`models.predictor.SentimentPredictor`)."""

    version: str

    def predict(
        self, texts: list[str], team_ids: Sequence[str | None] | None = None
    ) -> list[Prediction]:
        """One prediction per text; `team_ids` lets each workspace's corrections count."""
        ...


class Drafter(Protocol):
    """What the bot needs from `bot.drafting.DraftService`.

    Attributes:
        generators: holder of the reply generator this process serves; empty while it is still
            loading (or failed to load). `/readyz`, the dashboard and `/metrics` report its name.
    """

    generators: ModelHolder[DraftGenerator]

    def draft(
        self,
        text: str,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
        tone: str | None = None,
    ) -> Draft: ...


def served_classifier(classifier: ModelHolder[Predictor]) -> str | None:
    """Version of the classifier `classifier` holds right now (None: none loaded)."""
    predictor = classifier.get_or_none()
    return None if predictor is None else predictor.version


def served_generator(drafter: Drafter | None) -> str | None:
    """Name of the generator `drafter` serves right now (None: drafts off or still loading)."""
    if drafter is None:
        return None
    generator = drafter.generators.get_or_none()
    return None if generator is None else generator.name


class Retrainer(Protocol):
    """Starts a retraining run in the background; `notify` receives progress lines."""

    def start(
        self,
        trigger: str,
        requested_by: str | None,
        notify: Notify,
        *,
        slot: datetime | None = None,
    ) -> bool: ...


class UnavailableRetrainer:
    """Stands in when this deployment has no retraining pipeline; says so instead of failing."""

    def __init__(self, reason: str = "retraining is not available in this deployment") -> None:
        self.reason = reason

    def start(
        self,
        trigger: str,
        requested_by: str | None,
        notify: Notify,
        *,
        slot: datetime | None = None,
    ) -> bool:
        logger.warning("retrain requested by %s (%s): %s", requested_by, trigger, self.reason)
        notify(f"Sorry, {self.reason}.")
        return False


@dataclass
class Services:
    """Everything a listener may use, built once per process by `bot.composition`.

    Attributes:
        settings: all layers' settings.
        db: the `storage.database.Database`.
        classifier: holder of the serving `SentimentPredictor` (hot-swapped on promotion).
        drafter: the `DraftService`, or None when drafting is turned off.
        retrainer: starts retraining runs (`bot.serving.retrain_runner.RetrainService`).
        installation_store: slack_sdk installation store in OAuth mode, else None.
        models_changed: called after an admin promotes or rolls back (wakes the hot-swap watcher).
        admins: decides who may run admin actions.
        jobs: where listeners submit work (`bot.jobs`); None only in tests of the bare web app.
        outbox: Slack writes of this process (`bot.outbox.Outbox`), or None.
        recent_events: message event ids this process saw lately (drops Slack's retries).
    """

    settings: Settings
    db: Database
    classifier: ModelHolder[Predictor]
    drafter: Drafter | None
    retrainer: Retrainer
    installation_store: Any = None
    models_changed: Callable[[], None] = field(default=lambda: None)
    admins: AdminChecker | None = None
    jobs: JobQueue | None = None
    outbox: Any = None
    recent_events: RecentEvents = field(default_factory=RecentEvents)

    def submit(self, job: Job) -> bool:
        """Hand `job` to the executor without waiting; False when it cannot take it now."""
        return self.jobs is not None and self.jobs.submit(job)

    @property
    def drafts_enabled(self) -> bool:
        """Drafting is on (in this process or on the workers)."""
        if self.settings.jobs.executor == "celery":
            return self.settings.slack.drafts_enabled
        return self.drafter is not None

    def __post_init__(self) -> None:
        if self.admins is None:
            self.admins = AdminChecker(self.settings.slack.admin_ids)

    def is_admin(self, client: Any, user_id: str | None, *, team_id: str | None = None) -> bool:
        """Admin/owner of the workspace `team_id` (asked with its `client`) or listed in
        `TRIAGE_ADMIN_USER_IDS`; answers are cached per (workspace, user)."""
        assert self.admins is not None
        return self.admins.is_admin(client, user_id, team_id=team_id)
