"""SentencePiece trained on a tiny corpus: round trip, placeholders kept whole, errors."""

from __future__ import annotations

import pytest

from models.errors import TokenizerError
from models.seq2seq.tokenizer import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    frequent_placeholders,
    load_tokenizer,
    train_tokenizer,
)

CORPUS = [
    "I'm sorry about the double charge on {{Order Number}}.",
    "Your refund for {{Order Number}} is on its way.",
    "Where is my parcel? It has not arrived.",
    "Please reset my password, I cannot log in.",
    "Thank you for the kind words!",
] * 4


def test_train_and_round_trip(tmp_path) -> None:
    sp = load_tokenizer(train_tokenizer(CORPUS, tmp_path, vocab_size=4000))
    assert (sp.pad_id(), sp.unk_id(), sp.bos_id(), sp.eos_id()) == (PAD_ID, UNK_ID, BOS_ID, EOS_ID)
    assert sp.get_piece_size() < 4000  # shrunk to what the tiny corpus supports
    for text in CORPUS[:5]:
        assert sp.decode(sp.encode(text)) == text
    # The frequent placeholder is one piece (so a model can copy it) and decodes with its space.
    ids = sp.encode("see {{Order Number}} now")
    assert "{{Order\u2581Number}}" in [sp.id_to_piece(i) for i in ids]
    assert "{{Order Number}}" in sp.decode(ids)


def test_unseen_characters_do_not_break_decoding(tmp_path) -> None:
    sp = load_tokenizer(train_tokenizer(CORPUS, tmp_path))
    ids = sp.encode("Привет 日本 refund")
    assert ids and "refund" in sp.decode(ids)


def test_frequent_placeholders() -> None:
    texts = ["a {{X}} b", "{{X}} again", "{{Y}} once"] * 2
    assert frequent_placeholders(texts, min_count=3) == ["{{X}}"]


def test_errors(tmp_path) -> None:
    with pytest.raises(TokenizerError, match="empty"):
        train_tokenizer(["", "  "], tmp_path)
    with pytest.raises(TokenizerError, match="no SentencePiece model"):
        load_tokenizer(tmp_path / "missing")
