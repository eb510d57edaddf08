"""The reply generator: a small instruction-tuned causal LM, greedy decoding with a KV cache.

Speed on a CPU (see docs/generator.md for the numbers): weights run in bf16 where the CPU has
native bf16 ("auto" precision; int8 dynamic quantisation was faster but turned SmolLM2's replies
into nonsense, so it is opt-in only), batch-1 decoding runs on ONE intra-op thread, and the prompt is
prefilled once with only the last position's logits computed. `torch.set_num_threads` is
process-global, so every decode holds `DECODE_LOCK` while it changes the thread count and puts
it back afterwards: drafts are serialised per process (one at a time, < 1 s each) and other torch
work in the process (the classifier) never sees the single-thread setting outside a draft.

Decoding is greedy with a repetition penalty, a no-repeat n-gram rule, stop rules (end of turn,
a new role tag, enough sentences) and a per-request token budget; `models.cleaning` then turns the
text into one postable reply.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from models.assets import smollm2_dir
from models.cleaning import clean_reply, has_turn_break, sentence_ends
from models.errors import GeneratorError
from models.logit_rules import penalise
from models.prompting import PromptSpec, build_prompt_ids, reply_opening
from models.settings import ModelSettings
from models.types import Draft

logger = logging.getLogger(__name__)

DECODE_LOCK = threading.Lock()
_STOP_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|im_start|>", "</s>", "<|eot_id|>")


class DraftGenerator(Protocol):
    """Anything that drafts replies: the causal LM here, the seq2seq models in `models.seq2seq`."""

    name: str

    def draft(
        self,
        message: str,
        *,
        sentiment: str | None = None,
        tone: str | None = None,
        examples: Sequence[tuple[str, str]] = (),
        max_new_tokens: int | None = None,
    ) -> Draft: ...


@dataclass(frozen=True)
class DecodingConfig:
    """Greedy decoding knobs; the defaults were chosen by reading drafts on Bitext messages."""

    max_new_tokens: int = 80
    max_prompt_tokens: int = 768
    repetition_penalty: float = 1.2
    no_repeat_ngram: int = 4
    max_sentences: int = 4
    max_chars: int = 600
    threads: int = 1
    prefill_threads: int = 2  # the prompt is one big batch: compute-bound, so two threads help


def resolve_precision(requested: str) -> str:
    """The precision to run: "auto" is bf16 (fast, same drafts as fp32), fp32 without bf16 support.

    int8 dynamic quantisation is only used when asked for: on SmolLM2-135M it was the fastest but
    changed the drafts from on-topic to nonsense (see docs/generator.md).
    """
    if requested == "auto":
        requested = "bf16"
    if requested == "bf16" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        logger.warning("bf16 is not supported on this CPU: using fp32")
        return "fp32"
    return requested


def prepare_model(model: torch.nn.Module, precision: str) -> torch.nn.Module:
    """The model in eval mode at `precision` ("fp32", "bf16" or "int8" dynamic on Linear layers)."""
    model.eval()
    if precision == "bf16":
        return model.to(torch.bfloat16)
    if precision == "int8":
        from torch.ao.quantization import quantize_dynamic

        quantised: torch.nn.Module = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return quantised
    return model.float()


class ReplyGenerator:
    """Drafts support replies with a causal LM.

    Example:
        >>> generator = ReplyGenerator.load("", settings.models)  # the converted SmolLM2
        >>> generator.draft("I was charged twice", sentiment="negative").reply
        "I'm sorry for the double charge. ..."
    """

    def __init__(self, model: Any, tokenizer: Any, name: str, decoding: DecodingConfig) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.decoding = decoding
        vocab = tokenizer.get_vocab()
        stops = {vocab[t] for t in _STOP_TOKENS if t in vocab}
        if tokenizer.eos_token_id is not None:
            stops.add(int(tokenizer.eos_token_id))
        self.stop_ids = frozenset(stops)
        params = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"

    @classmethod
    def load(
        cls, path: str | Path, settings: ModelSettings, *, precision: str | None = None
    ) -> ReplyGenerator:
        """Load a causal LM from a directory or hub id; "" is the converted SmolLM2 asset."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source = str(path) if str(path) else str(smollm2_dir(settings.cache_dir))
        chosen = resolve_precision(precision or settings.generator_precision)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
            model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
        except (OSError, ValueError) as exc:
            raise GeneratorError(f"cannot load the generator from {source!r}: {exc}") from exc
        if not getattr(tokenizer, "chat_template", None):
            raise GeneratorError(f"{source!r} has no chat template: use an instruction-tuned model")
        decoding = DecodingConfig(
            max_new_tokens=settings.draft_max_new_tokens, threads=settings.generator_threads
        )
        name = f"{Path(source).name or source}:{chosen}"
        generator = cls(prepare_model(model, chosen), tokenizer, name, decoding)
        generator.warm_up()
        logger.info("generator %s loaded", name)
        return generator

    def warm_up(self) -> None:
        """One tiny decode, so the first real draft does not pay for kernel selection and caches."""
        self.generate_ids(self.tokenizer.encode("Hello", add_special_tokens=False) or [0], 2)

    def draft(
        self,
        message: str,
        *,
        sentiment: str | None = None,
        tone: str | None = None,
        examples: Sequence[tuple[str, str]] = (),
        max_new_tokens: int | None = None,
    ) -> Draft:
        """Draft one cleaned reply to `message` within `max_new_tokens` generated tokens."""
        started = time.perf_counter()
        spec = PromptSpec(message, sentiment, tone, tuple(examples))
        prompt = build_prompt_ids(self.tokenizer, spec, self.decoding.max_prompt_tokens)
        budget = max_new_tokens or self.decoding.max_new_tokens
        tokens = self.generate_ids(prompt, budget)
        raw = reply_opening(sentiment) + self.tokenizer.decode(tokens, skip_special_tokens=True)
        reply = clean_reply(
            raw, sentiment=sentiment, source=message, max_chars=self.decoding.max_chars
        )
        latency = (time.perf_counter() - started) * 1000
        return Draft(reply, self.name, sentiment, latency, [answer for _, answer in examples])

    def generate_ids(self, prompt: Sequence[int], max_new_tokens: int) -> list[int]:
        """Greedy continuation of `prompt`: at most `max_new_tokens` ids, stop tokens excluded."""
        with DECODE_LOCK:
            previous = torch.get_num_threads()
            try:
                with torch.inference_mode():
                    return self._greedy(list(prompt), max_new_tokens)
            finally:
                torch.set_num_threads(previous)

    def _forward(self, ids: list[int], cache: Any) -> Any:
        kwargs = {self._cache_arg: cache, "use_cache": True, "logits_to_keep": 1}
        return self.model(input_ids=torch.tensor([ids]), **kwargs)

    def _greedy(self, prompt: list[int], max_new_tokens: int) -> list[int]:
        torch.set_num_threads(max(self.decoding.prefill_threads, self.decoding.threads))
        out = self._forward(prompt, None)
        torch.set_num_threads(self.decoding.threads)
        generated: list[int] = []
        for _ in range(max_new_tokens):
            logits = out.logits[0, -1].float()
            rules = (self.decoding.repetition_penalty, self.decoding.no_repeat_ngram)
            token = int(torch.argmax(penalise(logits, generated, *rules)))
            if token in self.stop_ids:
                break
            generated.append(token)
            if self._should_stop(generated):
                break
            out = self._forward([token], getattr(out, self._cache_arg))
        return generated

    def _should_stop(self, generated: list[int]) -> bool:
        """Stop at a new role turn or once enough whole sentences are written."""
        if len(generated) % 4:
            return False
        text = str(self.tokenizer.decode(generated, skip_special_tokens=False))
        if has_turn_break(text):
            return True
        # A sentence counts once followed by more text; "2." of a numbered list is no sentence.
        finished = [end for end in sentence_ends(text) if end < len(text) - 1]
        return len(finished) >= self.decoding.max_sentences


def load_generator(path: str | Path, settings: ModelSettings) -> DraftGenerator:
    """A seq2seq model directory (has `seq2seq_config.json`) or a causal LM path / hub id."""
    if str(path) and (Path(path) / "seq2seq_config.json").is_file():
        from models.seq2seq.generator import Seq2SeqGenerator

        return Seq2SeqGenerator.load(Path(path), settings)
    return ReplyGenerator.load(path, settings)
