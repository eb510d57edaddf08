"""Turn raw model output into one postable reply: no role tags, no invented facts, no repetition.

Small language models continue the conversation ("User: ..."), repeat themselves, invent links,
order numbers and phone numbers, and stop mid-sentence at the token budget. `clean_reply`
repairs all of that, and falls back to a safe template (`fallback_reply`) when nothing usable
is left. Facts the customer wrote themselves (a number, a link) may be repeated; anything else
becomes a placeholder such as `{{order number}}` for the agent to fill in.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from models.textnorm import EMAIL_RE

logger = logging.getLogger(__name__)

# Everything from one of these on is the model writing someone else's turn.
_TURN_BREAK = re.compile(
    r"<\|[a-z_]+\|>|</s>|<s>|\[/?INST\]|^\s*#{2,}|"
    r"^\s*(?:user|customer|client|human|agent|assistant|support|system)\s*(?::|\n|$)",
    re.IGNORECASE | re.MULTILINE,
)
_LEADING_ROLE = re.compile(
    r"^\s*(?:(?:assistant|agent|support(?: agent)?|reply|response|answer)\s*:|assistant\n)\s*",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|co)(?:/\S*)?\b", re.I)
_PHONE = re.compile(r"(?<![\w{])\+?\d[\d\s().-]{7,}\d\b")
_ORDER = re.compile(r"#\s?\d{3,}|\b[A-Z]{0,4}-?\d{5,}\b")
# A number right after "order", "invoice"... is an order-like reference, whatever its format.
_ORDER_REF = re.compile(
    r"\b((?:order|purchase|invoice|ticket|tracking|account)(?:\s+(?:number|no\.?|id))?\s*[:#]?\s*)"
    r"(#?\d[\d-]{2,}\d)\b",
    re.IGNORECASE,
)
# Sentences about the writer instead of the customer (seen in SmolLM2 drafts): dropped.
_AI_TALK = re.compile(
    r"\b(?:as an ai|an ai (?:language )?model|language model|i am an ai|"
    r"as an? (?:customer )?(?:support|service) (?:agent|assistant|representative)|"
    r"i don'?t have access to|i (?:only|specialize)|my (?:role|job) is)\b",
    re.IGNORECASE,
)
# A connective left at the start once the sentence before it was dropped ("However, you can ...").
_DANGLING_START = re.compile(r"^(?:however|but|so|also|additionally|unfortunately),\s+", re.I)
# Stock phrases that do not fit support replies, and what to say instead.
_MISFITS = ((re.compile(r"\bsorry for your loss\b", re.I), "sorry for the trouble"),)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
# Control characters and U+FFFD: what a model leaves when it emits half of a multi-byte character.
_GARBAGE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")

FALLBACK_REPLIES = {
    "negative": (
        "I'm sorry for the trouble. I'm looking into this now and will get back to you "
        "with an update shortly. Could you share your {{order number}} so I can check the details?"
    ),
    "positive": "Thank you for the kind words! Let us know if there is anything else we can help with.",
    "neutral": (
        "Thanks for reaching out. I'm looking into this and will get back to you shortly with "
        "the details."
    ),
}


def fallback_reply(sentiment: str | None) -> str:
    """A safe, generic reply for when the model produced nothing usable."""
    return FALLBACK_REPLIES.get(sentiment or "", FALLBACK_REPLIES["neutral"])


def strip_turns(text: str) -> str:
    """The first turn only: a leading role label removed, everything after a turn break dropped."""
    text = _LEADING_ROLE.sub("", text, count=1)
    match = _TURN_BREAK.search(text)
    return text[: match.start()] if match else text


def has_turn_break(text: str) -> bool:
    """Whether `text` goes on into another turn (a role tag or special token after the start)."""
    return _TURN_BREAK.search(_LEADING_ROLE.sub("", text, count=1)) is not None


def mask_invented(text: str, source: str = "") -> str:
    """Replace links, emails, phone and order numbers that are not in `source` by placeholders."""

    def keep_or(placeholder: str) -> Callable[[re.Match[str]], str]:
        def repl(match: re.Match[str]) -> str:
            value = match.group(0)
            return value if value and value in source else placeholder

        return repl

    # Placeholders the model copied from examples ({{Order Number}}) stay as they are.
    saved: list[str] = []

    def save(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return f"\x00{len(saved) - 1}\x00"

    def order_ref(match: re.Match[str]) -> str:
        number = match.group(2)
        return match.group(0) if number in source else match.group(1) + "{{order number}}"

    text = _PLACEHOLDER.sub(save, text)
    text = _ORDER_REF.sub(order_ref, text)
    text = EMAIL_RE.sub(keep_or("{{email address}}"), text)
    text = _URL.sub(keep_or("{{support link}}"), text)
    text = _PHONE.sub(keep_or("{{phone number}}"), text)
    text = _ORDER.sub(keep_or("{{order number}}"), text)
    return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], text)


def _norm(sentence: str) -> str:
    return re.sub(r"[^a-z0-9{} ]", "", sentence.lower()).strip()


def dedupe(text: str) -> str:
    """Repeated lines and repeated sentences removed (first occurrence kept), AI talk dropped."""
    seen: set[str] = set()
    lines: list[str] = []
    for line in text.splitlines():
        kept = []
        for sentence in _SENTENCE_END.split(line.strip()):
            key = _norm(sentence)
            if not key or key in seen or _AI_TALK.search(sentence):
                continue
            seen.add(key)
            kept.append(sentence.strip())
        if kept:
            lines.append(" ".join(kept))
    return "\n".join(lines)


def sentence_ends(text: str) -> list[int]:
    """Positions of sentence-ending marks.

    Not ends: "4." opening a numbered list item, and an ellipsis ("...", where the model trailed
    off mid-thought).
    """
    return [
        m.start()
        for m in re.finditer(r"[.!?](?=\s|$)", text)
        if not re.search(r"(?:^|\s)\d{1,2}$", text[: m.start()])
        and not text[: m.start()].endswith("..")
    ]


def whole_clauses(fragment: str, min_words: int = 5) -> str:
    """The finished clauses of an unfinished sentence, closed with a period ("" if too short).

    "We will refund you within 24 hours, but if it's still" -> "We will refund you within 24
    hours." The part after the last comma is what the model did not finish.
    """
    clauses = fragment.strip().rsplit(",", 1)
    kept = clauses[0].strip() if len(clauses) == 2 else ""
    return kept + "." if len(kept.split()) >= min_words else ""


def cut_to_sentence(text: str, max_chars: int) -> str:
    """At most `max_chars`, ending on a sentence boundary; an unfinished last sentence is dropped."""
    text = text.strip()
    if len(text) > max_chars:
        text = text[:max_chars]
    ends = sentence_ends(text)
    if ends and ends[-1] == len(text) - 1:
        return text
    if ends:
        head, tail = text[: ends[-1] + 1], text[ends[-1] + 1 :]
        return f"{head} {whole_clauses(tail)}".strip()
    # No sentence end at all: keep whole words and close the sentence.
    words = text.rsplit(" ", 1)[0] if len(text) >= max_chars and " " in text else text
    return words.rstrip(" ,;:-.…") + "." if words.strip() else ""


def clean_reply(
    text: str,
    *,
    sentiment: str | None = None,
    source: str = "",
    max_chars: int = 600,
    min_chars: int = 12,
) -> str:
    """One postable reply from raw model output.

    Args:
        text: what the model generated (the reply opening included).
        sentiment: the customer's sentiment, for the fallback reply.
        source: the customer's message: facts found there may be repeated verbatim.
        max_chars: the reply is cut to this length on a sentence boundary.
        min_chars: shorter results are replaced by the fallback reply.

    Returns:
        The cleaned reply, never empty.
    """
    reply = strip_turns(_GARBAGE.sub("", text))
    for pattern, better in _MISFITS:
        reply = pattern.sub(better, reply)
    reply = mask_invented(reply, source)
    reply = dedupe(reply)
    if _DANGLING_START.match(reply):
        rest = _DANGLING_START.sub("", reply, count=1)
        reply = rest[:1].upper() + rest[1:]
    reply = re.sub(r"[ \t]+", " ", reply)
    reply = cut_to_sentence(reply, max_chars)
    if len(reply) < min_chars or not re.search(r"[A-Za-z]", reply):
        logger.info("model output unusable after cleaning (%d chars): fallback reply", len(reply))
        return fallback_reply(sentiment)
    return reply
