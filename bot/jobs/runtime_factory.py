"""The runtime of a Celery worker process: its models loaded once, its outbox sender started.

`triagebot worker` calls `build_job_runtime` (the default `--runtime-factory`).
"""

from __future__ import annotations

import logging

from bot.jobs.builders import build_outbox, retrain_in_this_thread
from bot.jobs.runtime import JobRuntime
from bot.services import Drafter, Predictor
from bot.settings import Settings
from models.holder import ModelHolder
from storage.database import Database

logger = logging.getLogger(__name__)


def build_job_runtime(settings: Settings) -> JobRuntime:
    """Everything a worker process needs, its models loaded now (once per process).

    The classifier follows promotions and rollbacks in storage like `serve` does (hot swap).
    """
    from bot.composition import (
        classifier_path,
        ensure_registered,
        load_classifier,
        start_watcher,
    )

    db = Database.from_settings(settings.storage)
    path = classifier_path(settings, db)
    predictor = load_classifier(settings, path)
    ensure_registered(db, predictor, path)
    classifier: ModelHolder[Predictor] = ModelHolder(predictor)
    if not settings.models.classifier_path:
        start_watcher(settings, db, classifier)  # promotions and rollbacks reach workers too
    drafter = _loaded_drafter(settings, db, classifier)
    from bot.composition import installation_store_for

    store = installation_store_for(settings, db)
    runtime = JobRuntime(
        settings=settings,
        db=db,
        classifier=classifier,
        drafter=drafter,
        outbox=build_outbox(settings, db, store),
        retrain_now=retrain_in_this_thread(settings, db),
    )
    runtime.start_memory()
    return runtime


def _loaded_drafter(
    settings: Settings, db: Database, classifier: ModelHolder[Predictor]
) -> Drafter | None:
    if not settings.slack.drafts_enabled:
        return None
    from bot.composition import generator_path
    from bot.drafting import DraftService
    from models.generator import load_generator

    generator = load_generator(generator_path(settings), settings.models)
    return DraftService(ModelHolder(generator), classifier, db, settings)
