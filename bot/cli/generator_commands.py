"""`triagebot draft`, `train generator` and `evaluate drafts`."""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from bot.settings import Settings
from storage.database import Database

logger = logging.getLogger(__name__)


def register(sub: Any, train_kinds: Any, evaluate_targets: Any) -> None:
    draft = sub.add_parser("draft", help="draft a reply to TEXT")
    draft.add_argument("text", metavar="TEXT")
    draft.add_argument(
        "--json", action="store_true", help="print {reply, model, sentiment, latency_ms}"
    )
    draft.set_defaults(handler=handle_draft)
    _register_train(train_kinds)
    drafts = evaluate_targets.add_parser("drafts", help="score generators with BLEU/ROUGE")
    drafts.add_argument("--pairs", required=True, help="CSV/JSONL of message,reply (Bitext works)")
    drafts.add_argument(
        "--generators",
        nargs="+",
        default=["lm", "lm+retrieval"],
        metavar="GEN",
        help="lm, lm+retrieval and/or model directories",
    )
    drafts.add_argument("--json", dest="json_out", metavar="OUT", help="write the report here")
    drafts.add_argument("--limit", type=int, help="score only the first N test pairs")
    drafts.add_argument(
        "--embedder",
        choices=("minilm", "hashing"),
        default="minilm",
        help="sentence embeddings for lm+retrieval, semantic similarity and intent accuracy",
    )
    drafts.add_argument("--max-new-tokens", type=int, help="default: DRAFT_MAX_NEW_TOKENS")
    drafts.add_argument(
        "--samples",
        type=int,
        default=0,
        metavar="N",
        help="also print the first N drafts side by side",
    )
    drafts.add_argument("--quiet", action="store_true", help="no progress bar")
    drafts.set_defaults(handler=handle_evaluate_drafts)


def _register_train(train_kinds: Any) -> None:
    parser = train_kinds.add_parser("generator", help="train a seq2seq reply model")
    parser.add_argument("--pairs", required=True, help="CSV/JSONL of message,reply (Bitext works)")
    parser.add_argument("--arch", choices=("lstm", "transformer"), default="transformer")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--vocab-size", type=int, default=4000)
    parser.add_argument("--max-tgt-tokens", type=int, default=96)
    parser.add_argument("--max-minutes", type=float, default=15.0, help="time budget")
    parser.add_argument("--max-pairs", type=int, help="train on at most N train pairs")
    parser.add_argument("--output-dir", help="default: DATA_DIR/models/gen-ARCH-TIMESTAMP")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--with-approved",
        action="store_true",
        help="add the approved replies stored by the bot to the training pairs",
    )
    parser.set_defaults(handler=handle_train_generator)


def handle_draft(args: argparse.Namespace, settings: Settings) -> int:
    from bot.composition import load_draft_service

    draft = load_draft_service(settings).draft(args.text)
    if args.json:
        payload = {
            "reply": draft.reply,
            "model": draft.model,
            "sentiment": draft.sentiment,
            "latency_ms": round(draft.latency_ms, 1),
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(draft.reply)
    return 0


def handle_train_generator(args: argparse.Namespace, settings: Settings) -> int:
    from training.generator.args import Seq2SeqTrainingArgs
    from training.generator.pairs import PairSplits, approved_pairs, load_pairs, split_pairs
    from training.generator.trainer import train_seq2seq

    splits = split_pairs(load_pairs(args.pairs), seed=settings.training.seed)
    if args.max_pairs:
        splits = PairSplits(splits.train[: args.max_pairs], splits.validation, splits.test)
    if args.with_approved:  # the team's own replies: training only, never scored against
        extra = approved_pairs(Database.from_settings(settings.storage))
        splits = PairSplits(splits.train + extra, splits.validation, splits.test)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    output = Path(args.output_dir or settings.models.models_dir / f"gen-{args.arch}-{stamp}")
    train_args = Seq2SeqTrainingArgs(
        output_dir=output,
        arch=args.arch,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        d_model=args.d_model,
        layers=args.layers,
        vocab_size=args.vocab_size,
        max_tgt_tokens=args.max_tgt_tokens,
        max_minutes=args.max_minutes,
        seed=settings.training.seed,
    )
    started = time.perf_counter()
    result = train_seq2seq(train_args, splits, progress=not args.quiet)
    val = result.metrics["val_loss"]
    print(
        f"{output.name}: {result.metrics['train_pairs']} train pairs, validation loss "
        f"{val:.3f}, {time.perf_counter() - started:.0f} s -> {output} (loss curves: "
        f"{output / 'loss.png'})"
    )
    return 0


def handle_evaluate_drafts(args: argparse.Namespace, settings: Settings) -> int:
    from training.generator.evaluation import (
        format_failures,
        format_samples,
        format_table,
        write_json,
    )
    from training.generator.lineup import (
        build_lineup,
        evaluate_lineup,
        make_embedder,
        retrieval_from,
    )
    from training.generator.meaning import MeaningScorer
    from training.generator.pairs import load_pairs, split_pairs

    seed = settings.training.seed
    splits = split_pairs(load_pairs(args.pairs), seed=seed)
    test = splits.test[: args.limit] if args.limit else splits.test
    lineup = build_lineup(args.generators, settings.models, settings.models.generator_path)
    retrieval = any(c.retrieval for c in lineup)
    embedder = make_embedder(args.embedder)
    examples = (
        retrieval_from(splits.train, embedder, settings.models.draft_examples_k)
        if retrieval
        else None
    )
    meaning = MeaningScorer(splits.train, embedder)
    sentiment_for, sentiment_source = _sentiment_function(settings)
    reports = evaluate_lineup(
        lineup,
        test,
        examples_for=examples,
        sentiment_for=sentiment_for,
        max_new_tokens=args.max_new_tokens or settings.models.draft_max_new_tokens,
        progress=not args.quiet,
        meaning=meaning,
    )
    print(format_table(reports))
    ceiling = meaning.ceiling(test)
    if ceiling is not None:
        print(f"intent judge on the references themselves: {ceiling:.1f}% (the ceiling)")
    print("\nUnpostable drafts (% failing each check):\n" + format_failures(reports))
    if args.samples:
        print("\n" + format_samples(reports, args.samples))
    if args.json_out:
        meta = {
            "pairs": str(args.pairs),
            "seed": seed,
            "test_pairs": len(test),
            "train_pairs": len(splits.train),
            "sentiment": sentiment_source,
            "embedder": args.embedder,
            "intent_judge_ceiling": ceiling,
        }
        print(f"report: {write_json(Path(args.json_out), reports, meta)}")
    return 0


def _sentiment_function(settings: Settings) -> tuple[Any, str]:
    """The classifier's label when one is configured or active, else the keyword guess."""
    from bot.composition import optional_classifier
    from bot.drafting import guess_sentiment

    predictor = optional_classifier(settings, Database.from_settings(settings.storage))
    if predictor is None:
        return guess_sentiment, "keywords"
    return (lambda text: str(predictor.predict([text])[0].label)), f"classifier {predictor.version}"
