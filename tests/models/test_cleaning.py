"""Output cleaning on the nasty things small models write."""

from __future__ import annotations

import pytest

from models.cleaning import (
    FALLBACK_REPLIES,
    clean_reply,
    cut_to_sentence,
    dedupe,
    has_turn_break,
    mask_invented,
    strip_turns,
)


@pytest.mark.parametrize(
    "raw",
    [
        "I'm sorry for the delay. I'll check it now.\nUser: and my other order?\nAssistant: sure",
        "I'm sorry for the delay. I'll check it now.<|im_end|><|im_start|>user\nthanks",
        "Assistant: I'm sorry for the delay. I'll check it now.\n\nCustomer: ok",
        "I'm sorry for the delay. I'll check it now.\n### Instruction: write more",
        "I'm sorry for the delay. I'll check it now. [INST] next [/INST]",
    ],
)
def test_role_tags_and_later_turns_are_dropped(raw: str) -> None:
    assert clean_reply(raw) == "I'm sorry for the delay. I'll check it now."


def test_turn_break_detection() -> None:
    assert has_turn_break("Sure.\nUser: hi")
    assert has_turn_break("Sure.<|im_start|>")
    assert not has_turn_break("Assistant: the user guide is online.")
    assert strip_turns("support: hello there") == "hello there"


def test_repeated_lines_and_sentences_are_removed() -> None:
    raw = "Thanks for waiting.\nThanks for waiting.\nWe will refund you. We will refund you! Bye."
    assert dedupe(raw) == "Thanks for waiting.\nWe will refund you. Bye."
    assert clean_reply("I can help you. " * 30) == "I can help you."


@pytest.mark.parametrize("raw", ["", "   \n\t", "<|im_end|>", "User: hi", "...", "\ufffd\x01\x02"])
@pytest.mark.parametrize("sentiment", ["negative", "neutral", "positive", None])
def test_unusable_output_gives_the_fallback(raw: str, sentiment: str | None) -> None:
    reply = clean_reply(raw, sentiment=sentiment)
    assert reply == FALLBACK_REPLIES[sentiment or "neutral"]
    if sentiment == "negative":
        assert "sorry" in reply.lower()


def test_invented_facts_become_placeholders() -> None:
    raw = (
        "I'm sorry. See https://help.example.com/refunds or www.shop.io, mail refunds@shop.com, "
        "call +1 (555) 123-4567 and quote order #48213 or ABC-1234567."
    )
    reply = clean_reply(raw, sentiment="negative")
    for invented in ("example.com", "shop.io", "refunds@", "555", "48213", "1234567"):
        assert invented not in reply
    for placeholder in (
        "{{support link}}",
        "{{email address}}",
        "{{phone number}}",
        "{{order number}}",
    ):
        assert placeholder in reply


def test_facts_from_the_customer_and_copied_placeholders_stay() -> None:
    source = "My order #48213 never came, I wrote to me@home.org"
    text = "Order #48213 is delayed; we wrote to me@home.org about {{Order Number}} and #99999."
    masked = mask_invented(text, source)
    assert "#48213" in masked and "me@home.org" in masked and "{{Order Number}}" in masked
    assert "#99999" not in masked


def test_ai_talk_and_garbage_characters_go() -> None:
    raw = (
        "As an AI language model I cannot feel. I'm sorry about \ufffdthe\x01 charge. We'll fix it."
    )
    assert clean_reply(raw) == "I'm sorry about the charge. We'll fix it."


def test_long_output_is_cut_on_a_sentence_boundary() -> None:
    raw = "We are checking your order now. " + "This sentence goes on and on " * 40
    reply = clean_reply(raw, max_chars=120)
    assert reply == "We are checking your order now."
    no_end = cut_to_sentence("word " * 50, 60)
    assert len(no_end) <= 60 and no_end.endswith("word.")


def test_non_english_reply_is_kept() -> None:
    raw = "Lo siento mucho por el cargo doble. Le devolveremos el dinero hoy."
    assert clean_reply(raw) == raw


def test_numbers_after_order_words_become_order_placeholders() -> None:
    raw = "Your order 4587-345 and invoice no. 7731 are ready; call 555 123 4567."
    reply = clean_reply(raw, source="I need order 00004587345")
    assert reply.count("{{order number}}") == 2
    assert "{{phone number}}" in reply
    assert clean_reply("We found order 00004587345 today.", source="order 00004587345") == (
        "We found order 00004587345 today."
    )


def test_talk_about_the_writer_is_dropped_and_misfit_phrases_fixed() -> None:
    raw = (
        "I'm sorry for your loss. As a customer support agent, I specialize in helping. "
        "I don't have access to personal data. I'll check the refund now."
    )
    assert clean_reply(raw) == "I'm sorry for the trouble. I'll check the refund now."


def test_a_dangling_list_number_is_not_a_sentence_end() -> None:
    raw = "Please follow these steps: 1. Log in. 2. Open Billing. 3."
    assert clean_reply(raw) == "Please follow these steps: 1. Log in. 2. Open Billing."
    assert cut_to_sentence("Steps: 1. Log in. 2. Open the", 200) == "Steps: 1. Log in."


def test_a_connective_left_dangling_by_a_dropped_sentence_goes() -> None:
    raw = "As a customer support agent, I can't see accounts. However, you can reset it under Settings."
    assert clean_reply(raw) == "You can reset it under Settings."


def test_a_reply_that_trails_off_ends_on_its_last_whole_sentence() -> None:
    raw = (
        "I'm sorry for the inconvenience. We will refund you within 24 hours, but if it's still..."
    )
    assert clean_reply(raw, sentiment="negative") == (
        "I'm sorry for the inconvenience. We will refund you within 24 hours."
    )
    assert (
        clean_reply("Sorry about that. I will, but...", sentiment="negative") == "Sorry about that."
    )
    assert cut_to_sentence("We will look into it...", 600) == "We will look into it."
