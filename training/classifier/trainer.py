"""Fine-tuning the sentiment classifier: class-weighted loss, bf16 autocast, early stopping, saving.

`train_classifier` trains a new model (or continues from a saved one with `init_from`), evaluates
the best checkpoint on the test split and writes a new model directory with its report plots.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from datasets import DatasetDict
from torch import nn
from tqdm import tqdm

from models.classifier import ClassifierConfig, SentimentClassifier
from models.classifier_io import load_classifier, save_classifier, write_json
from models.encoder import autocast, load_encoder, pick_device, resolve_precision
from models.predictor import SentimentPredictor
from training.classifier.args import ClassifierTrainingArgs
from training.classifier.batching import (
    Batch,
    class_weights,
    encode,
    iterate_batches,
    length_grouped_batches,
)
from training.classifier.batching import training_stats as compute_training_stats
from training.classifier.evaluation import evaluate_predictions, write_report
from training.classifier.tfidf_baseline import train_tfidf
from training.classifier.types import TrainResult
from training.errors import TrainingFailed

logger = logging.getLogger(__name__)


def build_model(
    args: ClassifierTrainingArgs, init_from: Path | None
) -> tuple[SentimentClassifier, Any]:
    """A fresh encoder + head, or a saved classifier to continue training."""
    if init_from is not None:
        model, tokenizer, config = load_classifier(init_from)
        if config.head != args.head:
            logger.warning("continuing a %s model; ignoring head=%s", config.head, args.head)
        return model, tokenizer
    encoder, tokenizer = load_encoder(args.encoder_path)
    encoder_config: Any = encoder.config
    config = ClassifierConfig(
        head=args.head,
        encoder_dim=int(encoder_config.hidden_size),
        lstm_hidden=args.lstm_hidden,
        dropout=args.dropout,
        pooling=args.pooling,
        encoder_source=args.encoder_path or "minilm-l6 (pinned asset)",
    )
    return SentimentClassifier(config, encoder), tokenizer


def freeze_layers(model: SentimentClassifier, count: int) -> None:
    """Keep the embeddings and the lowest `count` encoder layers fixed (-1: the whole encoder)."""
    if count == 0:
        return
    encoder: Any = model.encoder
    layers = list(encoder.encoder.layer)
    frozen = [encoder.embeddings, *layers[: len(layers) if count < 0 else count]]
    if count < 0:
        frozen.append(encoder)
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)


def make_optimizer(
    model: SentimentClassifier, args: ClassifierTrainingArgs
) -> torch.optim.Optimizer:
    """AdamW with the encoder at `learning_rate` and the head at `head_learning_rate`."""
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    encoder_ids = {id(p) for p in model.encoder.parameters()}
    head_params = [p for p in model.parameters() if p.requires_grad and id(p) not in encoder_ids]
    groups = [{"params": head_params, "lr": args.head_learning_rate}]
    if encoder_params:
        groups.append({"params": encoder_params, "lr": args.learning_rate})
    return torch.optim.AdamW(groups, weight_decay=args.weight_decay)


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then linear decay to zero."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


class Trainer:
    """The training loop's state: model, optimiser, data, history and the best checkpoint."""

    def __init__(
        self,
        args: ClassifierTrainingArgs,
        model: SentimentClassifier,
        tokenizer: Any,
        data: DatasetDict,
        device: torch.device,
        precision: str,
    ) -> None:
        self.args, self.model, self.tokenizer = args, model.to(device), tokenizer
        self.device, self.precision = device, precision
        self.train = encode(data["train"], tokenizer, args.max_len)
        validation = data["validation"]
        if args.max_eval_examples and len(validation) > args.max_eval_examples:
            validation = validation.shuffle(seed=args.seed).select(range(args.max_eval_examples))
        self.val_texts, self.val_labels = list(validation["text"]), np.asarray(validation["label"])
        weights = (
            class_weights(self.train.labels, len(model.config.labels))
            if args.class_weights
            else None
        )
        self.loss_fn = nn.CrossEntropyLoss(
            weight=None if weights is None else weights.to(device),
            reduction="none",
            label_smoothing=args.label_smoothing,
        )
        self.optimizer = make_optimizer(model, args)
        self.history: dict[str, Any] = {
            "step": [],
            "train_loss": [],
            "eval_step": [],
            "val_loss": [],
            "val_macro_f1": [],
            "stopped": "completed",
        }
        self.best_f1, self.bad_evals = -1.0, 0
        self.best_state: dict[str, torch.Tensor] | None = None

    def step(self, batch: Batch) -> float:
        with autocast(self.precision, self.device):
            logits = self.model(batch.ids, batch.mask).float()  # (B, C)
        losses = self.loss_fn(logits, batch.labels)  # (B,)
        if batch.soft is not None:  # distillation: rows with a teacher's target learn it
            taught = batch.soft.sum(dim=-1) > 0
            soft = -(batch.soft * torch.log_softmax(logits, dim=-1)).sum(dim=-1)
            losses = torch.where(taught, soft, losses)
        weights = batch.weights
        loss = (losses * weights).sum() / weights.sum().clamp(min=1e-6)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return float(loss.detach())

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        predictor = SentimentPredictor(
            self.model,
            self.tokenizer,
            version="training",
            precision=self.precision,
            max_tokens=self.args.max_len,
            batch_size=64,
        )
        try:
            return predictor.predict_proba(texts)
        finally:
            self.model.train()

    def evaluate(self, step: int) -> bool:
        """Validation macro-F1 at `step`; keeps the best weights. True when patience is spent."""
        probs = self.predict_proba(self.val_texts)
        metrics = evaluate_predictions(self.val_labels, probs, self.model.config.labels)
        self.history["eval_step"].append(step)
        self.history["val_loss"].append(metrics["log_loss"])
        self.history["val_macro_f1"].append(metrics["macro_f1"])
        logger.info(
            "step %d: validation macro-F1 %.4f, loss %.4f",
            step,
            metrics["macro_f1"],
            metrics["log_loss"],
        )
        if metrics["macro_f1"] > self.best_f1:
            self.best_f1, self.bad_evals = metrics["macro_f1"], 0
            if not self.args.keep_best:
                return False  # the last step is kept: no checkpoint to copy
            self.best_state = copy.deepcopy(
                {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
            )
            return False
        self.bad_evals += 1
        return self.bad_evals >= self.args.patience

    def run(self, progress: bool) -> None:
        args = self.args
        rng = random.Random(args.seed)
        lengths = [len(x) for x in self.train.ids]
        per_epoch = math.ceil(len(lengths) / args.batch_size)
        total = max(1, int(per_epoch * args.epochs))
        eval_every = max(1, per_epoch // max(1, args.evals_per_epoch))
        warmup = int(total * args.warmup_ratio)
        schedulers = [group["lr"] for group in self.optimizer.param_groups]
        deadline = time.monotonic() + args.time_budget_minutes * 60
        pad_id = self.tokenizer.pad_token_id or 0
        self.model.train()
        bar = tqdm(
            total=total, desc="training", unit="step", disable=not progress, dynamic_ncols=True
        )
        step, smoothed = 0, None
        while step < total:
            batches = length_grouped_batches(lengths, args.batch_size, rng)
            for batch in iterate_batches(self.train, batches, pad_id, self.device):
                for group, base in zip(self.optimizer.param_groups, schedulers, strict=True):
                    group["lr"] = base * lr_factor(step, total, warmup)
                loss = self.step(batch)
                smoothed = loss if smoothed is None else 0.95 * smoothed + 0.05 * loss
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{smoothed:.4f}")
                if step % 10 == 0 or step == total:
                    self.history["step"].append(step)
                    self.history["train_loss"].append(smoothed)
                if self._should_stop(step, total, eval_every, deadline):
                    bar.close()
                    return
        bar.close()

    def _should_stop(self, step: int, total: int, eval_every: int, deadline: float) -> bool:
        out_of_time = time.monotonic() > deadline
        evaluate = step % eval_every == 0 or step == total or out_of_time
        if evaluate and self.evaluate(step) and self.args.keep_best:
            self.history["stopped"] = f"early stopping at step {step}"
            return True
        if out_of_time and step < total:
            logger.warning(
                "time budget of %.1f min spent at step %d/%d",
                self.args.time_budget_minutes,
                step,
                total,
            )
            self.history["stopped"] = f"time budget at step {step}/{total}"
            return True
        return step >= total


def train_classifier(
    args: ClassifierTrainingArgs,
    data: DatasetDict,
    *,
    init_from: Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a classifier on `data` (train/validation/test) and save it as a new model directory.

    Args:
        args: the run's settings (`head="tfidf"` trains the TF-IDF baseline instead).
        data: splits from `training.data.labelled.load_labelled`; a `weight` column scales
            each example's loss.
        init_from: a saved classifier directory to continue from (retraining), else a fresh head.
        progress: show a progress bar with steps, loss and ETA.

    Returns:
        TrainResult with the new directory, test metrics (+ training facts) and the curves.
    """
    if args.head == "tfidf" and init_from is None:
        return train_tfidf(args, data)
    if len(data["train"]) == 0 or len(data["validation"]) == 0:
        raise TrainingFailed("training needs non-empty train and validation splits")
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    precision = resolve_precision("fp32" if args.precision == "int8" else args.precision, device)
    started = time.monotonic()
    model, tokenizer = build_model(args, Path(init_from) if init_from else None)
    freeze_layers(model, args.freeze_layers)
    trainer = Trainer(args, model, tokenizer, data, device, precision)
    logger.info(
        "training %s head on %d examples (%s, %s)",
        model.config.head,
        len(data["train"]),
        device,
        precision,
    )
    trainer.run(progress)
    if trainer.best_state is not None:
        model.load_state_dict(trainer.best_state)
    train_seconds = time.monotonic() - started
    return _finish(trainer, data, args, init_from, train_seconds)


def _finish(
    trainer: Trainer,
    data: DatasetDict,
    args: ClassifierTrainingArgs,
    init_from: Path | None,
    train_seconds: float,
) -> TrainResult:
    model = trainer.model.cpu().eval()
    trainer.device = torch.device("cpu")
    trainer.precision = resolve_precision(args.precision if args.precision != "int8" else "fp32")
    test = data["test"]
    probs = trainer.predict_proba(list(test["text"]))
    metrics = evaluate_predictions(test["label"], probs, model.config.labels)
    metrics.update(
        split="test",
        head=model.config.head,
        validation_macro_f1=trainer.best_f1,
        train_seconds=round(train_seconds, 1),
        train_examples=len(data["train"]),
        stopped=trainer.history["stopped"],
        parent=str(init_from) if init_from else None,
    )
    model_dir = args.model_dir("clf")
    save_classifier(
        model.eval(),
        trainer.tokenizer,
        model_dir,
        metrics=metrics,
        history=trainer.history,
        training_stats=compute_training_stats(data["train"]),
    )
    write_json(model_dir / "training_args.json", args.to_dict())
    if args.write_plots:
        write_report(
            model_dir,
            test["label"],
            probs,
            labels=model.config.labels,
            metrics=metrics,
            history=trainer.history,
        )
    logger.info(
        "test macro-F1 %.4f, accuracy %.4f -> %s",
        metrics["macro_f1"],
        metrics["accuracy"],
        model_dir,
    )
    return TrainResult(model_dir, metrics, trainer.history)
