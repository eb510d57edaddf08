"""Chat prompts for reply drafting: instructions by sentiment and tone, retrieved replies as examples.

A 135M-parameter model copies far better than it follows instructions, so the prompt is built
around the examples: the team's own approved replies come as earlier turns of the conversation
(user message, assistant reply), the instructions are short and concrete, and the reply is
started for the model with an opening that fits the customer's mood (`reply_opening`).

Example:
    >>> spec = PromptSpec(message="I was charged twice", sentiment="negative", tone=None,
    ...                   examples=[("Refund please", "I'm sorry ... {{order number}} ...")])
    >>> messages = build_messages(spec)
    >>> messages[0]["role"], messages[-1]["role"]
    ('system', 'user')
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)

BASE_INSTRUCTIONS = (
    "You are a customer support agent. Write the agent's reply to the customer's last message: "
    "2 to 4 short sentences, in English, about the customer's actual problem. "
    "Never invent order numbers, links, email addresses or phone numbers: write placeholders "
    "such as {{order number}} or {{support link}} instead. Do not mention being an AI."
)
SENTIMENT_INSTRUCTIONS = {
    "negative": (
        "The customer is upset. Start with a sincere apology for the problem, "
        "then give one concrete next step you will take or they can take."
    ),
    "neutral": "Answer the question directly and give a clear next step.",
    "positive": "The customer is happy. Thank them warmly and offer further help.",
}
EXAMPLES_NOTE = "Follow the wording and style of the team's earlier replies."
# The reply is started for the model: a good first words keep a small model on track.
REPLY_OPENINGS = {"negative": "I'm sorry", "positive": "Thank you", "neutral": ""}


class ChatTokenizer(Protocol):
    """The part of a Hugging Face tokenizer the prompt builder needs."""

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...

    def encode(self, text: str, **kwargs: Any) -> list[int]: ...

    def decode(self, ids: Any, **kwargs: Any) -> str: ...


@dataclass(frozen=True)
class PromptSpec:
    """Everything a draft prompt carries.

    Attributes:
        message: the customer's message.
        sentiment: "negative", "neutral", "positive" or None (unknown).
        tone: the channel's tone settings in words ("formal", "friendly, uses first names"), or None.
        examples: (customer message, approved reply) pairs, most similar first.
    """

    message: str
    sentiment: str | None = None
    tone: str | None = None
    examples: Sequence[tuple[str, str]] = field(default_factory=tuple)


def system_prompt(spec: PromptSpec) -> str:
    """The system turn: base rules, the sentiment rule, the tone and a note on examples."""
    parts = [BASE_INSTRUCTIONS]
    if spec.sentiment in SENTIMENT_INSTRUCTIONS:
        parts.append(SENTIMENT_INSTRUCTIONS[spec.sentiment])
    if spec.tone and spec.tone.strip():
        parts.append(f"Tone for this channel: {spec.tone.strip()[:200]}.")
    if spec.examples:
        parts.append(EXAMPLES_NOTE)
    return " ".join(parts)


def reply_opening(sentiment: str | None) -> str:
    """The first words of the reply, written for the model (empty when the mood is unknown)."""
    return REPLY_OPENINGS.get(sentiment or "", "")


def shorten(text: str, max_chars: int) -> str:
    """`text` cut to `max_chars`, on a word boundary where one is near."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip() + " ..."


def build_messages(
    spec: PromptSpec, *, max_message_chars: int = 1200, max_example_chars: int = 400
) -> list[dict[str, str]]:
    """Chat messages: system, then each example as a user/assistant exchange, then the message."""
    messages = [{"role": "system", "content": system_prompt(spec)}]
    # Least similar first, so the closest example sits right before the real message.
    for question, answer in reversed(list(spec.examples)):
        messages.append({"role": "user", "content": shorten(question, max_example_chars)})
        messages.append({"role": "assistant", "content": shorten(answer, max_example_chars)})
    message = shorten(spec.message, max_message_chars) or "(empty message)"
    messages.append({"role": "user", "content": message})
    return messages


def _render(tokenizer: ChatTokenizer, spec: PromptSpec, max_message_chars: int) -> list[int]:
    messages = build_messages(spec, max_message_chars=max_message_chars)
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    text = str(text) + reply_opening(spec.sentiment)
    return list(tokenizer.encode(text, add_special_tokens=False))


def build_prompt_ids(
    tokenizer: ChatTokenizer, spec: PromptSpec, max_prompt_tokens: int
) -> list[int]:
    """Token ids of the whole prompt (reply opening included), within `max_prompt_tokens`.

    Over budget, examples are dropped from the least similar on; then the customer's message is
    shortened; a prompt that still does not fit is cut from the left (the instructions go first,
    the end of the conversation is what the model needs most).
    """
    examples = list(spec.examples)
    max_chars = 1200
    while True:
        current = PromptSpec(spec.message, spec.sentiment, spec.tone, tuple(examples))
        ids = _render(tokenizer, current, max_chars)
        if len(ids) <= max_prompt_tokens:
            return ids
        if examples:
            examples.pop()
        elif max_chars > 100:
            max_chars //= 2
        else:
            logger.warning("prompt of %d tokens cut to %d", len(ids), max_prompt_tokens)
            return ids[-max_prompt_tokens:]
