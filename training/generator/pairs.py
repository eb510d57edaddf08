"""(customer message, agent reply) pairs: loading a CSV/JSONL file and an intent-stratified split."""

from __future__ import annotations

import csv
import json
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storage.database import Database
from storage.repositories import ALL_WORKSPACES, list_approved_replies
from training.errors import DataError

logger = logging.getLogger(__name__)

MESSAGE_COLUMNS = ("instruction", "message", "message_text", "text")
REPLY_COLUMNS = ("response", "reply", "reply_text")


@dataclass(frozen=True)
class Pair:
    """One customer message and the reply an agent gave; `intent` groups pairs for splitting."""

    message: str
    reply: str
    intent: str = ""


@dataclass(frozen=True)
class PairSplits:
    train: list[Pair]
    validation: list[Pair]
    test: list[Pair]


def _pick(row: dict[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        if name in row and row[name] is not None:
            return str(row[name])
    return None


def load_pairs(path: Path | str) -> list[Pair]:
    """Pairs from a CSV (Bitext columns `instruction,response,intent` or `message,reply`) or JSONL.

    Raises:
        DataError: the file is missing, unreadable or has no message/reply columns.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"pairs file {path} does not exist")
    try:
        if path.suffix in (".jsonl", ".json"):
            with path.open(encoding="utf-8") as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
        else:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
    # ValueError: bad JSON, or a number of more than 4,300 digits; RecursionError: deep nesting.
    except (OSError, ValueError, RecursionError, csv.Error) as exc:
        raise DataError(f"cannot read pairs from {path}: {exc}") from exc
    pairs = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise DataError(f"{path} row {number}: expected an object with message and reply")
        message, reply = _pick(row, MESSAGE_COLUMNS), _pick(row, REPLY_COLUMNS)
        if message is None or reply is None:
            raise DataError(
                f"{path}: need a message column ({'/'.join(MESSAGE_COLUMNS)}) and a reply column "
                f"({'/'.join(REPLY_COLUMNS)}); found {sorted(row)}"
            )
        if message.strip() and reply.strip():
            pairs.append(Pair(message.strip(), reply.strip(), str(row.get("intent") or "")))
    if not pairs:
        raise DataError(f"{path} holds no (message, reply) pairs")
    logger.info("loaded %d pairs from %s", len(pairs), path)
    return pairs


def split_pairs(
    pairs: Sequence[Pair], *, seed: int = 13, validation: float = 0.1, test: float = 0.1
) -> PairSplits:
    """Split within each intent (stratified), reproducibly for a seed.

    Every intent with at least 3 pairs puts at least one pair in validation and test, so the
    held-out parts cover all intents.
    """
    groups: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        groups[pair.intent].append(pair)
    rng = random.Random(seed)
    splits = PairSplits([], [], [])
    for intent in sorted(groups):
        group = list(groups[intent])
        rng.shuffle(group)
        n = len(group)
        n_test = max(1, round(n * test)) if n >= 3 else 0
        n_val = max(1, round(n * validation)) if n >= 3 else 0
        splits.test.extend(group[:n_test])
        splits.validation.extend(group[n_test : n_test + n_val])
        splits.train.extend(group[n_test + n_val :])
    for part in (splits.train, splits.validation, splits.test):
        rng.shuffle(part)
    return splits


def approved_pairs(db: Database, *, repeat: int = 3, limit: int = 5000) -> list[Pair]:
    """Every workspace's approved replies (what agents actually posted) as training pairs: the
    generator is one model shared by the instance, like the classifier.

    Each appears `repeat` times: a few hundred of a team's own replies should pull a model
    trained on thousands of generic pairs towards the team's wording.
    """
    found = list_approved_replies(db, team_id=ALL_WORKSPACES, limit=limit)
    # A reply whose customer text was not kept (privacy mode, retention) has no pair to train on.
    pairs = [Pair(r.message_text, r.reply_text, intent="approved") for r in found if r.message_text]
    logger.info("%d approved replies added to the training pairs (x%d)", len(pairs), repeat)
    return pairs * repeat
