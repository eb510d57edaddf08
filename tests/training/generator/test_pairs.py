"""Loading (message, reply) pairs and the intent-stratified split."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from training.errors import DataError
from training.generator.pairs import load_pairs, split_pairs

BITEXT = Path("/work/shared/data/bitext_customer_support_pairs.csv")


def test_loads_bitext_columns_and_jsonl(tiny_pairs_csv, tmp_path) -> None:
    pairs = load_pairs(tiny_pairs_csv)
    assert len(pairs) == 60 and pairs[0].intent == "cancel_order"
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text('{"message": "hi", "reply": "hello"}\n\n{"message": " ", "reply": "x"}\n')
    assert [(p.message, p.reply) for p in load_pairs(jsonl)] == [("hi", "hello")]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("text,label\nhello,positive\n", "need a message column"),
        ("message,reply\n", "no \\(message, reply\\) pairs"),
    ],
)
def test_bad_files_are_data_errors(tmp_path, content, match) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=match):
        load_pairs(path)
    with pytest.raises(DataError, match="does not exist"):
        load_pairs(tmp_path / "missing.csv")


def test_split_is_stratified_disjoint_and_reproducible(tiny_pairs) -> None:
    splits = split_pairs(tiny_pairs, seed=3)
    again = split_pairs(tiny_pairs, seed=3)
    assert splits == again
    assert len(splits.train) + len(splits.validation) + len(splits.test) == len(tiny_pairs)
    assert {p.intent for p in splits.test} == {p.intent for p in tiny_pairs}
    assert split_pairs(tiny_pairs, seed=4).test != splits.test


def test_bitext_split_covers_every_intent() -> None:
    if not BITEXT.is_file():
        pytest.skip(
            f"the Bitext corpus is not at {BITEXT} (a development resource, not in the repo)"
        )
    pairs = load_pairs(BITEXT)
    splits = split_pairs(pairs, seed=13)
    intents = collections.Counter(p.intent for p in pairs)
    assert len(intents) > 20
    assert {p.intent for p in splits.test} == set(intents)
    assert 0.08 < len(splits.test) / len(pairs) < 0.12


def test_approved_replies_become_repeated_training_pairs(sqlite_db) -> None:
    from storage.repositories import record_approved_reply, set_channel_settings
    from training.generator.pairs import approved_pairs

    set_channel_settings(
        sqlite_db,
        team_id="T1",
        channel_id="C1",
        enabled=True,
        privacy_mode="store_text",
        set_by="UA",
    )
    record_approved_reply(  # ids_only: the customer's text was not kept, nothing to train on
        sqlite_db,
        team_id="T1",
        channel_id="C2",
        user_id="U1",
        message_text="not kept",
        reply_text="Not a pair.",
    )
    for n in range(2):
        record_approved_reply(
            sqlite_db,
            team_id="T1",
            channel_id="C1",
            user_id="U1",
            message_text=f"where is order {n}?",
            reply_text=f"Order {n} ships today.",
        )
    pairs = approved_pairs(sqlite_db, repeat=3)
    assert len(pairs) == 6
    assert {(p.message, p.reply) for p in pairs} == {
        ("where is order 0?", "Order 0 ships today."),
        ("where is order 1?", "Order 1 ships today."),
    }
    assert approved_pairs(sqlite_db, repeat=3, limit=0) == []
