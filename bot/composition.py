"""The composition root: build the database, models, drafting and retraining once per process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.cli.errors import CommandError
from bot.services import Drafter, Predictor, Retrainer, Services, UnavailableRetrainer
from bot.settings import Settings
from models.holder import ModelHolder
from storage import repositories as repo
from storage.database import Database
from storage.errors import NotFound, StorageError

if TYPE_CHECKING:
    from bot.drafting import DraftService
    from models.predictor import SentimentPredictor

logger = logging.getLogger(__name__)


def classifier_path(settings: Settings, db: Database) -> Path:
    """`CLASSIFIER_PATH` when set, else the active classifier version in storage.

    Raises:
        CommandError: neither exists (run `triagebot train classifier` first).
    """
    if settings.models.classifier_path:
        return Path(settings.models.classifier_path)

    active = repo.get_active_model_version(db, kind="classifier")
    if active is None:
        raise CommandError(
            "no classifier: set CLASSIFIER_PATH or run `triagebot train classifier` first"
        )
    return Path(active.path)


def load_classifier(settings: Settings, path: Path) -> SentimentPredictor:
    """Load a `SentimentPredictor` from a saved classifier directory."""
    from models.predictor import SentimentPredictor

    logger.info("loading classifier from %s", path)
    return SentimentPredictor.load(path, settings.models)


def ensure_registered(db: Database, predictor: Predictor, path: Path) -> None:
    """Register a classifier loaded from `CLASSIFIER_PATH` so its predictions can be stored."""

    try:
        repo.get_model_version(db, version=predictor.version)
    except NotFound:
        repo.register_model_version(
            db, kind="classifier", version=predictor.version, path=str(path.resolve())
        )
        logger.info("registered classifier %s from %s", predictor.version, path)


def build_services(settings: Settings, *, watch_models: bool = True) -> Services:
    """Build everything the Slack app and the dashboard need, with the job executor started.

    `TRIAGE_EXECUTOR=inline` (default): this process loads the models and runs jobs on bounded
    threads. `celery`: jobs go to the broker and this process loads no model (nor torch).

    Args:
        settings: all settings.
        watch_models: follow promotions and rollbacks in storage (a hot-swap thread).
    """
    db = Database.from_settings(settings.storage)
    store = installation_store_for(settings, db)
    from bot.jobs.builders import build_outbox

    outbox = build_outbox(settings, db, store)
    if settings.jobs.executor == "celery":
        return _celery_services(settings, db, outbox, store)
    path = classifier_path(settings, db)
    predictor = load_classifier(settings, path)
    ensure_registered(db, predictor, path)
    classifier: ModelHolder[Any] = ModelHolder(predictor)
    drafter = build_drafter(settings, db, classifier)
    from bot.jobs.builders import start_inline_jobs

    services = Services(
        settings=settings,
        db=db,
        classifier=classifier,
        drafter=drafter,
        retrainer=build_retrainer(settings, db),
        installation_store=store,
        jobs=start_inline_jobs(
            settings, db=db, classifier=classifier, drafter=drafter, outbox=outbox
        ),
        outbox=outbox,
    )
    if watch_models and not settings.models.classifier_path:
        services.models_changed = start_watcher(settings, db, classifier)
    return services


def _celery_services(settings: Settings, db: Database, outbox: Any, store: Any) -> Services:
    """A web process that only enqueues: no classifier, no generator, retrains on the workers."""
    from bot.jobs.celery_queue import CeleryJobQueue
    from bot.jobs.queued_retrainer import QueuedRetrainer

    jobs = CeleryJobQueue.from_settings(settings)
    return Services(
        settings=settings,
        db=db,
        classifier=ModelHolder(),
        drafter=None,
        retrainer=QueuedRetrainer(jobs),
        installation_store=store,
        jobs=jobs,
        outbox=outbox,
    )


def installation_store_for(settings: Settings, db: Database) -> Any:
    """The OAuth installation store, or None with one workspace's `SLACK_BOT_TOKEN`."""
    from bot.app import oauth_enabled

    if not oauth_enabled(settings):
        return None
    from bot.installation_store import installation_store

    return installation_store(db, client_id=settings.slack.client_id or "")


def build_drafter(settings: Settings, db: Database, classifier: ModelHolder[Any]) -> Drafter | None:
    """A `DraftService` whose generator loads in the background; None when drafts are off."""
    if not settings.slack.drafts_enabled:
        logger.info("drafting is turned off (TRIAGE_DRAFTS_ENABLED=false)")
        return None
    try:
        from bot.drafting import DraftService
        from models.generator import load_generator
    except ImportError:
        logger.warning("drafting is not available in this build", exc_info=True)
        return None
    generator: ModelHolder[Any] = ModelHolder()

    def load() -> None:
        try:
            generator.swap(load_generator(generator_path(settings), settings.models))
            logger.info("reply generator loaded")
        except Exception:
            logger.exception("the reply generator failed to load; drafts will apologise")

    threading.Thread(target=load, name="generator-loader", daemon=True).start()
    return DraftService(generator, classifier, db, settings)


def load_draft_service(settings: Settings) -> DraftService:
    """A `DraftService` with its generator loaded now (for the CLI).

    Sentiment comes from `CLASSIFIER_PATH` or the active classifier when there is one, else from
    the keyword guess; retrieval uses the approved replies in storage (or the built-ins).
    """
    from bot.drafting import DraftService
    from models.generator import load_generator

    db = Database.from_settings(settings.storage)
    classifier: ModelHolder[Any] = ModelHolder(optional_classifier(settings, db))
    generator = load_generator(generator_path(settings), settings.models)
    return DraftService(ModelHolder(generator), classifier, db, settings)


def optional_classifier(settings: Settings, db: Database) -> SentimentPredictor | None:
    """`CLASSIFIER_PATH` or the active classifier, loaded; None when there is neither (the CLI's
    drafting and evaluation then fall back to the keyword guess)."""

    try:
        return load_classifier(settings, classifier_path(settings, db))
    except (CommandError, StorageError) as exc:
        logger.info("no classifier (keyword sentiment instead): %s", exc)
        return None


def generator_path(settings: Settings) -> Path:
    """`GENERATOR_PATH`, else the converted pinned SmolLM2 weights."""
    if settings.models.generator_path:
        return Path(settings.models.generator_path)
    from models.assets import smollm2_dir

    return Path(smollm2_dir(settings.models.cache_dir))


def build_retrainer(settings: Settings, db: Database) -> Retrainer:
    """The background `RetrainService`, or a stand-in that says retraining is not available.

    Every run it finishes counts in `triagebot_retrain_runs_total` by outcome.
    """
    try:
        from bot.serving.retrain_runner import RetrainService
        from training.retrain.run import retrain_once
    except ImportError as exc:
        logger.warning("retraining not available: %s", exc)
        return UnavailableRetrainer(f"retraining is not available ({exc})")
    return RetrainService(db, settings, retrain=metrics.count_retrain_runs(retrain_once))


def start_watcher(settings: Settings, db: Database, holder: ModelHolder[Any]) -> Callable[[], None]:
    """Start the hot-swap watcher; returns the function that makes it check at once."""
    try:
        from bot.serving.hot_swap import ModelWatcher
    except ImportError:
        logger.warning("hot swap not available: promotions apply after a restart")
        return lambda: None
    watcher = ModelWatcher(holder, db, loader=lambda path: load_classifier(settings, path))
    watcher.start(interval=settings.training.model_reload_seconds)
    return watcher.wake
