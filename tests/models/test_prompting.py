"""Prompt building: instructions by sentiment and tone, examples as turns, the token budget."""

from __future__ import annotations

import pytest

from models.prompting import (
    EXAMPLES_NOTE,
    SENTIMENT_INSTRUCTIONS,
    PromptSpec,
    build_messages,
    build_prompt_ids,
    shorten,
    system_prompt,
)

EXAMPLES = (
    ("I was charged twice", "I'm sorry about the double charge on {{order number}}."),
    ("Where is my parcel", "I've opened a trace with the carrier."),
)


@pytest.mark.parametrize("sentiment", ["negative", "neutral", "positive"])
def test_system_prompt_carries_the_sentiment_rule(sentiment: str) -> None:
    prompt = system_prompt(PromptSpec("hello", sentiment))
    assert SENTIMENT_INSTRUCTIONS[sentiment] in prompt
    others = [v for k, v in SENTIMENT_INSTRUCTIONS.items() if k != sentiment]
    assert not any(rule in prompt for rule in others)


def test_unknown_sentiment_and_tone() -> None:
    prompt = system_prompt(PromptSpec("hello", None, tone="  formal, uses first names "))
    assert not any(rule in prompt for rule in SENTIMENT_INSTRUCTIONS.values())
    assert "Tone for this channel: formal, uses first names." in prompt
    assert EXAMPLES_NOTE not in prompt


def test_examples_become_turns_with_the_closest_last() -> None:
    messages = build_messages(PromptSpec("charged twice!!", "negative", None, EXAMPLES))
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert EXAMPLES_NOTE in messages[0]["content"]
    # The most similar example (first) sits right before the customer's message.
    assert messages[-3]["content"] == EXAMPLES[0][0]
    assert messages[-2]["content"] == EXAMPLES[0][1]
    assert messages[-1]["content"] == "charged twice!!"


def test_empty_message_is_named_not_left_blank() -> None:
    assert build_messages(PromptSpec("   \n "))[-1]["content"] == "(empty message)"


def test_shorten_cuts_on_a_word_boundary() -> None:
    text = "word " * 100
    short = shorten(text, 42)
    assert len(short) <= 46 and short.endswith(" ...")
    assert "wor ..." not in short
    assert shorten("  a   b ", 10) == "a b"


def test_prompt_ids_hold_message_examples_and_the_reply_opening(chat_tokenizer) -> None:
    spec = PromptSpec("where is my order 1234?", "negative", None, EXAMPLES)
    text = chat_tokenizer.decode(build_prompt_ids(chat_tokenizer, spec, 2048))
    assert "where is my order 1234?" in text
    assert "I've opened a trace with the carrier." in text
    assert SENTIMENT_INSTRUCTIONS["negative"] in text
    # The reply is started for the model, after the assistant tag.
    assert text.rstrip().endswith("<|im_start|>assistant\nI'm sorry")


def test_over_budget_drops_examples_before_the_message(chat_tokenizer) -> None:
    spec = PromptSpec("where is my order 1234?", "neutral", None, EXAMPLES)
    full = build_prompt_ids(chat_tokenizer, spec, 4096)
    without_one = build_prompt_ids(
        chat_tokenizer, PromptSpec(spec.message, "neutral", None, EXAMPLES[:1]), 4096
    )
    ids = build_prompt_ids(chat_tokenizer, spec, len(without_one))
    assert len(without_one) < len(full)
    assert len(ids) <= len(without_one)
    text = chat_tokenizer.decode(ids)
    assert "where is my order 1234?" in text
    assert EXAMPLES[0][1] in text and EXAMPLES[1][1] not in text  # the least similar went first


@pytest.mark.parametrize(
    "message",
    [
        "refund " * 20_000,
        "Mi pedido no ha llegado y nadie responde. ¿Dónde está?",
        "注文が届きません。返金してください。",
        "",
    ],
    ids=["huge", "spanish", "japanese", "empty"],
)
def test_any_message_fits_the_budget(chat_tokenizer, message: str) -> None:
    ids = build_prompt_ids(chat_tokenizer, PromptSpec(message, "negative", None, EXAMPLES), 300)
    assert 0 < len(ids) <= 300
    text = chat_tokenizer.decode(ids)
    # The end of the conversation survives: the last user turn and the opened reply.
    assert text.rstrip().endswith("<|im_start|>assistant\nI'm sorry")
    if message and len(message) < 100:
        assert message in text
