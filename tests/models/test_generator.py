"""The causal-LM generator on a tiny random Llama: token budget, stop tokens, odd inputs, loading."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import torch

from models.cleaning import FALLBACK_REPLIES
from models.errors import GeneratorError
from models.generator import ReplyGenerator, load_generator, prepare_model, resolve_precision
from models.retrieval import BUILTIN_EXAMPLES
from models.settings import ModelSettings


@pytest.mark.parametrize("budget", [1, 7, 25])
def test_generation_stays_within_the_token_budget(tiny_generator, chat_tokenizer, budget) -> None:
    prompt = chat_tokenizer.encode("where is my order", add_special_tokens=False)
    threads = torch.get_num_threads()
    ids = tiny_generator.generate_ids(prompt, budget)
    assert 0 < len(ids) <= budget
    assert not set(ids) & tiny_generator.stop_ids
    assert torch.get_num_threads() == threads  # the one-thread decode setting is put back


def test_greedy_decoding_is_deterministic(tiny_generator, chat_tokenizer) -> None:
    prompt = chat_tokenizer.encode("refund me please", add_special_tokens=False)
    assert tiny_generator.generate_ids(prompt, 12) == tiny_generator.generate_ids(prompt, 12)


def test_a_stop_token_ends_the_reply_and_an_empty_one_falls_back(tiny_generator) -> None:
    # Zero output norm -> all logits equal -> argmax is id 0, the end-of-turn token.
    model = copy.deepcopy(tiny_generator.model)
    torch.nn.init.zeros_(model.model.norm.weight)
    muted = ReplyGenerator(model, tiny_generator.tokenizer, "muted", tiny_generator.decoding)
    assert muted.generate_ids([5, 6, 7], 20) == []
    draft = muted.draft("I was charged twice", sentiment="neutral")
    assert draft.reply == FALLBACK_REPLIES["neutral"]


@pytest.mark.parametrize(
    "message",
    ["", "refund " * 20_000, "Mi pedido no ha llegado. ¿Dónde está?", "注文が届きません", "🙂🙂🙂"],
    ids=["empty", "huge", "spanish", "japanese", "emoji"],
)
def test_any_input_gives_one_bounded_reply(tiny_generator, message) -> None:
    draft = tiny_generator.draft(
        message, sentiment="negative", examples=BUILTIN_EXAMPLES[:2], max_new_tokens=16
    )
    assert draft.reply.strip()
    assert len(draft.reply) <= tiny_generator.decoding.max_chars
    assert "<|im" not in draft.reply
    assert draft.model == "tiny-lm:fp32"
    assert draft.sentiment == "negative"
    assert draft.examples == [answer for _, answer in BUILTIN_EXAMPLES[:2]]
    assert draft.latency_ms > 0


def test_precision_choice() -> None:
    bf16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert resolve_precision("auto") == ("bf16" if bf16 else "fp32")
    assert resolve_precision("int8") == "int8"
    assert resolve_precision("fp32") == "fp32"


def test_int8_and_bf16_preparation(tiny_lm_dir) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    quantised: Any = prepare_model(copy.deepcopy(model), "int8")
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    assert isinstance(quantised.model.layers[0].mlp.up_proj, DynamicLinear)
    bf16: Any = prepare_model(model, "bf16")
    assert bf16.model.embed_tokens.weight.dtype == torch.bfloat16


def test_load_errors_are_generator_errors(tmp_path, tiny_lm_dir) -> None:
    settings = ModelSettings(GENERATOR_PRECISION="fp32")
    with pytest.raises(GeneratorError, match="cannot load"):
        ReplyGenerator.load(tmp_path / "nothing-here", settings)
    plain = tmp_path / "no-template"
    plain.mkdir()
    for item in tiny_lm_dir.iterdir():
        (plain / item.name).write_bytes(item.read_bytes())
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(GeneratorError, match="chat template"):
        ReplyGenerator.load(plain, settings)


def test_load_generator_picks_the_kind(tiny_lm_dir, tiny_seq2seq_dir) -> None:
    settings = ModelSettings(GENERATOR_PRECISION="fp32")
    assert isinstance(load_generator(tiny_lm_dir, settings), ReplyGenerator)
    assert type(load_generator(tiny_seq2seq_dir, settings)).__name__ == "Seq2SeqGenerator"


@pytest.mark.assets
def test_real_smollm2_apologises_on_topic_for_the_issue_message() -> None:
    """The issue's example, with the built-in examples as grounding (what a new team gets)."""
    from models.assets import smollm2_dir
    from models.retrieval import HashingEmbedder, ReplyRetriever

    settings = ModelSettings()
    generator = ReplyGenerator.load(smollm2_dir(settings.cache_dir), settings)
    message = "I was charged twice for my order and nobody answers my emails"
    examples = ReplyRetriever(HashingEmbedder()).retrieve(message, [], k=3)
    draft = generator.draft(message, sentiment="negative", examples=examples, max_new_tokens=60)
    reply = draft.reply.lower()
    assert reply not in {r.lower() for r in FALLBACK_REPLIES.values()}
    assert "sorry" in reply or "apolog" in reply
    assert any(word in reply for word in ("charge", "refund", "payment", "order", "email", "case"))
