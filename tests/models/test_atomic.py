"""Atomic directory writes: a failing save keeps the old directory and leaves nothing half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from models.atomic import write_dir_atomically
from models.classifier_io import load_classifier, save_classifier
from models.seq2seq.config import Seq2SeqConfig
from models.seq2seq.io import build_model, save_seq2seq
from tests.fixtures.tiny_models import build_tiny_classifier


def _old_model(parent: Path) -> Path:
    target = parent / "model"
    target.mkdir(parents=True)
    (target / "weights.bin").write_text("old")
    return target


def _entries(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_a_successful_write_replaces_the_old_directory(tmp_path: Path) -> None:
    target = _old_model(tmp_path)
    with write_dir_atomically(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target and not list(tmp.iterdir())
        (tmp / "weights.bin").write_text("new")
        assert (target / "weights.bin").read_text() == "old"  # untouched until the block ends
    assert _entries(target) == ["weights.bin"] and (target / "weights.bin").read_text() == "new"
    assert _entries(tmp_path) == ["model"]


def test_a_new_directory_and_its_parents_are_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "model"
    with write_dir_atomically(target) as tmp:
        (tmp / "x").write_text("1")
    assert (target / "x").read_text() == "1"


def test_a_failing_write_keeps_the_old_directory_and_leaves_nothing(tmp_path: Path) -> None:
    target = _old_model(tmp_path)
    with pytest.raises(RuntimeError, match="disk full"), write_dir_atomically(target) as tmp:
        (tmp / "weights.bin").write_text("half")
        raise RuntimeError("disk full")
    assert _entries(tmp_path) == ["model"]
    assert _entries(target) == ["weights.bin"] and (target / "weights.bin").read_text() == "old"


def test_a_failing_first_write_leaves_no_directory(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), write_dir_atomically(tmp_path / "model") as tmp:
        (tmp / "weights.bin").write_text("half")
        raise RuntimeError("interrupted")
    assert _entries(tmp_path) == []


class _BrokenTokenizer:
    """A tokenizer whose save fails after the weights are written."""

    def save_pretrained(self, directory: str) -> Any:
        raise OSError("no space left on device")


def test_a_failing_classifier_save_keeps_the_old_classifier(tmp_path: Path) -> None:
    model, tokenizer = build_tiny_classifier()
    directory = save_classifier(model, tokenizer, tmp_path / "clf", metrics={"macro_f1": 0.5})
    before = _entries(directory)
    other, _ = build_tiny_classifier(seed=1)

    with pytest.raises(OSError, match="no space"):
        save_classifier(other, _BrokenTokenizer(), directory, metrics={"macro_f1": 0.9})

    assert _entries(tmp_path) == ["clf"] and _entries(directory) == before
    loaded, _, _ = load_classifier(directory)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name]), name


def test_a_failing_seq2seq_save_keeps_the_old_model(tmp_path: Path) -> None:
    config = Seq2SeqConfig(arch="lstm", vocab_size=40, d_model=16, layers=1, heads=2, ffn=32)
    tokenizer = tmp_path / "spm.model"
    tokenizer.write_bytes(b"not read by save")
    torch.manual_seed(0)
    model = build_model(config).eval()
    directory = save_seq2seq(model, config, tokenizer, tmp_path / "gen", {"val_loss": 1.0})
    before = {name: (directory / name).read_bytes() for name in _entries(directory)}

    with pytest.raises(FileNotFoundError):  # the tokenizer is copied after config and weights
        save_seq2seq(build_model(config), config, tmp_path / "missing.model", directory, {})

    assert _entries(tmp_path) == ["gen", "spm.model"]
    assert {name: (directory / name).read_bytes() for name in _entries(directory)} == before
