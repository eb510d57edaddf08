"""Train a seq2seq reply model from scratch: SentencePiece on the train pairs, then teacher forcing.

Batches are grouped by length (less padding), the loss is label-smoothed cross-entropy over
real target tokens, the learning rate warms up linearly and decays with a cosine, and bf16
autocast is used where the CPU has native bf16. A time budget stops training early; the model
reached so far is saved either way, with its loss curves as a PNG.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from models.seq2seq.config import Seq2SeqConfig
from models.seq2seq.io import build_model, save_seq2seq
from models.seq2seq.tokenizer import BOS_ID, EOS_ID, PAD_ID, load_tokenizer, train_tokenizer
from training.errors import TrainingFailed
from training.generator.args import Seq2SeqTrainingArgs
from training.generator.pairs import Pair, PairSplits
from training.generator.types import Seq2SeqTrainResult
from training.plots import plot_loss

logger = logging.getLogger(__name__)

Encoded = list[tuple[list[int], list[int]]]


def encode_pairs(sp: Any, pairs: Sequence[Pair], config: Seq2SeqConfig) -> Encoded:
    """(source ids, target ids) per pair, truncated; targets exclude bos/eos."""
    sources = sp.encode([p.message for p in pairs])
    targets = sp.encode([p.reply.replace("\n", " ") for p in pairs])
    return [
        (list(s)[: config.max_src_tokens] or [1], list(t)[: config.max_tgt_tokens - 1])
        for s, t in zip(sources, targets, strict=True)
    ]


def make_batches(encoded: Encoded, batch_size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar target length, in random order."""
    order = list(range(len(encoded)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        block = sorted(order[start : start + chunk], key=lambda i: len(encoded[i][1]))
        batches += [block[i : i + batch_size] for i in range(0, len(block), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(encoded: Encoded, batch: Sequence[int]) -> tuple[torch.Tensor, ...]:
    """src (B, S), src_lens (B,), tgt_in (B, T) = bos + target, tgt_out (B, T) = target + eos."""
    rows = [encoded[i] for i in batch]
    width_s = max(len(s) for s, _ in rows)
    width_t = max(len(t) for _, t in rows) + 1
    src = torch.full((len(rows), width_s), PAD_ID, dtype=torch.long)
    tgt_in = torch.full((len(rows), width_t), PAD_ID, dtype=torch.long)
    tgt_out = torch.full((len(rows), width_t), PAD_ID, dtype=torch.long)
    for i, (s, t) in enumerate(rows):
        src[i, : len(s)] = torch.tensor(s)
        tgt_in[i, : len(t) + 1] = torch.tensor([BOS_ID, *t])
        tgt_out[i, : len(t) + 1] = torch.tensor([*t, EOS_ID])
    return src, torch.tensor([len(s) for s, _ in rows]), tgt_in, tgt_out


def _autocast(enabled: bool) -> AbstractContextManager[Any]:
    if enabled and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext()


def batch_loss(model: nn.Module, batch: tuple[torch.Tensor, ...], smoothing: float) -> torch.Tensor:
    src, lens, tgt_in, tgt_out = batch
    logits = model(src, lens, tgt_in)  # (B, T, V)
    return nn.functional.cross_entropy(
        logits.float().flatten(0, 1),
        tgt_out.flatten(),
        ignore_index=PAD_ID,
        label_smoothing=smoothing,
    )


def evaluate_loss(model: nn.Module, encoded: Encoded, batch_size: int, bf16: bool) -> float:
    """Mean cross-entropy (no smoothing) on held-out pairs."""
    if not encoded:
        return float("nan")
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode(), _autocast(bf16):
        for start in range(0, len(encoded), batch_size):
            batch = collate(encoded, range(start, min(start + batch_size, len(encoded))))
            total += float(batch_loss(model, batch, 0.0)) * len(batch[0])
            count += len(batch[0])
    model.train()
    return total / count


def _schedule(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _config(args: Seq2SeqTrainingArgs, vocab_size: int) -> Seq2SeqConfig:
    return Seq2SeqConfig(
        arch=args.arch,
        vocab_size=vocab_size,
        d_model=args.d_model,
        layers=args.layers,
        heads=args.heads,
        ffn=args.ffn,
        dropout=args.dropout,
        max_src_tokens=args.max_src_tokens,
        max_tgt_tokens=args.max_tgt_tokens,
    )


def train_seq2seq(
    args: Seq2SeqTrainingArgs, splits: PairSplits, *, progress: bool = True
) -> Seq2SeqTrainResult:
    """Train a tokenizer and a model on `splits.train`; validate per epoch; save to `output_dir`."""
    if not splits.train:
        raise TrainingFailed("no training pairs")
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    out = args.output_dir
    texts = [p.message for p in splits.train] + [p.reply for p in splits.train]
    sp = load_tokenizer(train_tokenizer(texts, out, args.vocab_size))
    config = _config(args, sp.get_piece_size())
    train, val = encode_pairs(sp, splits.train, config), encode_pairs(sp, splits.validation, config)
    model = build_model(config).train()
    history = _fit(model, train, val, args, rng, progress)
    metrics = {
        "val_loss": history["val_loss"][-1] if history["val_loss"] else None,
        "train_pairs": len(train),
        "validation_pairs": len(val),
        "parameters": sum(p.numel() for p in model.parameters()),
        "args": {k: str(v) for k, v in dataclasses.asdict(args).items()},
        "history": history,
    }
    save_seq2seq(model.eval(), config, out / "spm.model", out, metrics)
    plot_loss(out / "loss.png", history)
    logger.info("saved %s model to %s (val loss %s)", config.arch, out, metrics["val_loss"])
    return Seq2SeqTrainResult(out, metrics, history)


def _fit(
    model: nn.Module,
    train: Encoded,
    val: Encoded,
    args: Seq2SeqTrainingArgs,
    rng: random.Random,
    progress: bool,
) -> dict[str, list[float]]:
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    total = args.epochs * math.ceil(len(train) / args.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: _schedule(s, args.warmup_steps, total)
    )
    history: dict[str, list[float]] = {
        "step": [],
        "train_loss": [],
        "eval_step": [],
        "val_loss": [],
    }
    deadline, step = time.monotonic() + args.max_minutes * 60, 0
    for epoch in range(args.epochs):
        bar = tqdm(
            make_batches(train, args.batch_size, rng),
            desc=f"epoch {epoch + 1}/{args.epochs}",
            disable=not progress,
            leave=False,
        )
        for batch in bar:
            with _autocast(args.bf16):
                loss = batch_loss(model, collate(train, batch), args.label_smoothing)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimiser.step()
            scheduler.step()
            step += 1
            if step % 10 == 0 or step == 1:
                history["step"].append(step)
                history["train_loss"].append(loss.item())
                bar.set_postfix(loss=f"{loss.item():.3f}")
            if time.monotonic() > deadline:
                break
        history["eval_step"].append(step)
        history["val_loss"].append(evaluate_loss(model, val, args.batch_size, args.bf16))
        logger.info("epoch %d: val loss %.3f", epoch + 1, history["val_loss"][-1])
        if time.monotonic() > deadline:
            logger.warning(
                "time budget of %.1f min reached after epoch %d", args.max_minutes, epoch + 1
            )
            break
    return history
