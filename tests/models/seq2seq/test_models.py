"""Both seq2seq models: shapes, greedy decoding within a budget, save/load, the draft interface."""

from __future__ import annotations

from typing import cast

import pytest
import torch

from models.errors import GeneratorError
from models.seq2seq.config import Arch, Seq2SeqConfig
from models.seq2seq.decoding import greedy_decode
from models.seq2seq.generator import Seq2SeqGenerator, encode_sources
from models.seq2seq.io import build_model, load_seq2seq, save_seq2seq
from models.seq2seq.tokenizer import load_tokenizer, train_tokenizer

ARCHS = ["lstm", "transformer"]


def tiny_config(arch: str, vocab_size: int = 50) -> Seq2SeqConfig:
    return Seq2SeqConfig(
        arch=cast(Arch, arch),
        vocab_size=vocab_size,
        d_model=16,
        layers=2,
        heads=2,
        ffn=32,
        dropout=0.0,
        max_src_tokens=12,
        max_tgt_tokens=10,
    )


@pytest.mark.parametrize("arch", ARCHS)
def test_teacher_forced_logits_shape(arch: str) -> None:
    torch.manual_seed(0)
    model = build_model(tiny_config(arch)).eval()
    src = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])  # (B, S), second row padded
    tgt = torch.tensor([[2, 11, 12], [2, 13, 0]])  # (B, T)
    logits = model(src, torch.tensor([4, 2]), tgt)
    assert logits.shape == (2, 3, 50)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("arch", ARCHS)
def test_padding_does_not_change_a_source(arch: str) -> None:
    torch.manual_seed(0)
    model = build_model(tiny_config(arch)).eval()
    tgt = torch.tensor([[2, 11, 12]])
    alone = model(torch.tensor([[5, 6]]), torch.tensor([2]), tgt)
    padded = model(torch.tensor([[5, 6, 0, 0]]), torch.tensor([2]), tgt)
    assert torch.allclose(alone, padded, atol=1e-5)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("budget", [1, 6])
def test_greedy_decode_respects_the_budget(arch: str, budget: int) -> None:
    torch.manual_seed(0)
    model = build_model(tiny_config(arch)).eval()
    src = torch.tensor([[5, 6, 7], [8, 0, 0]])
    with torch.inference_mode():
        out = greedy_decode(model, src, torch.tensor([3, 1]), max_len=budget)
    assert len(out) == 2
    assert all(len(row) <= budget and not {0, 1, 2, 3} & set(row) for row in out)


@pytest.mark.parametrize("arch", ARCHS)
def test_save_load_round_trip_and_draft(arch: str, tmp_path) -> None:
    texts = [
        "where is my order",
        "I'm sorry, it is on its way.",
        "refund please",
        "Refund started.",
    ]
    tokenizer = train_tokenizer(texts * 3, tmp_path / "tok")
    config = tiny_config(arch, vocab_size=load_tokenizer(tokenizer).get_piece_size())
    torch.manual_seed(0)
    model = build_model(config).eval()
    directory = save_seq2seq(model, config, tokenizer, tmp_path / f"gen-{arch}", {"val_loss": 1.0})
    loaded, sp, loaded_config = load_seq2seq(directory)
    assert loaded_config == config
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name]), name
    generator = Seq2SeqGenerator.load(directory)
    draft = generator.draft("", sentiment="negative", max_new_tokens=8)
    assert draft.reply.strip() and draft.model == f"{arch}:gen-{arch}"
    src, lens = encode_sources(sp, ["", "refund " * 500], config.max_src_tokens)
    assert src.shape == (2, config.max_src_tokens) and lens.tolist() == [lens[0].item(), 12]


def test_not_a_model_directory(tmp_path) -> None:
    with pytest.raises(GeneratorError, match="not a seq2seq model directory"):
        load_seq2seq(tmp_path)
    with pytest.raises(GeneratorError, match="unknown seq2seq architecture"):
        build_model(Seq2SeqConfig(arch="gru"))  # type: ignore[arg-type]
