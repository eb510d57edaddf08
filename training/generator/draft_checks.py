"""What makes a draft unpostable, checked without a model: an agent would have to rewrite it.

Each check returns True when the draft fails it:

- `empty`: no words.
- `invented_contact`: an email address, a web address or a phone number that appears in neither
  the customer's message nor the grounding replies (Bitext's `{{Customer Support Phone Number}}`
  style placeholders are the safe way to name one).
- `invented_number`: an amount, an order or reference number (3 or more digits, or any number
  with a currency sign) that appears in neither the message nor the grounding replies.
- `ai_talk`: the model talks about itself ("as an AI", "language model", ...).
- `repetition`: the same 4 words three times, or the same sentence twice.
- `wrong_language`: mostly letters outside the Latin script (the drafts are English).

Example:
    >>> unpostable_reasons("Call us at 555-201-7788.", sources=["my card was charged twice"])
    ['invented_contact']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from models.textnorm import non_english_share

CHECKS = (
    "empty",
    "invented_contact",
    "invented_number",
    "ai_talk",
    "repetition",
    "wrong_language",
)

_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|co)\b", re.I)
_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_AMOUNT = re.compile(r"[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?(?:USD|EUR|GBP|dollars|euros)\b", re.I)
_LONG_NUMBER = re.compile(r"\b\d{3,}\b")
_AI_TALK = re.compile(
    r"\bas an ai\b|\blanguage model\b|\bi(?: am|'m) (?:just |only )?an? (?:ai|assistant|bot|"
    r"chatbot)\b|\bopenai\b|\bi (?:can ?not|can't|don't have the ability to) (?:browse|access "
    r"(?:the internet|real-time|your account))",
    re.I,
)
_WORD = re.compile(r"[a-z0-9']+")
_SENTENCE = re.compile(r"[^.!?\n]+")


def unpostable_reasons(draft: str, sources: Iterable[str] = ()) -> list[str]:
    """The checks `draft` fails (in `CHECKS` order); `sources` are the texts a draft may quote
    from: the customer's message and the grounding replies."""
    text = _PLACEHOLDER.sub(" ", draft or "")
    if not re.search(r"\w", text):
        return ["empty"]
    known = _mentions(" ".join(sources))
    failed = []
    addresses = [_address(x) for x in _EMAIL.findall(text) + _URL.findall(text)]
    if any(key not in known for key in addresses + [_digits(x) for x in _PHONE.findall(text)]):
        failed.append("invented_contact")
    rest = _PHONE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", text)))  # a contact is not also a number
    numbers = [_digits(x) for x in _AMOUNT.findall(rest) + _LONG_NUMBER.findall(rest)]
    if any(key not in known for key in numbers):
        failed.append("invented_number")
    if _AI_TALK.search(text):
        failed.append("ai_talk")
    if _repeats(text):
        failed.append("repetition")
    if non_english_share(text) > 0.5:
        failed.append("wrong_language")
    return failed


def failure_rates(drafts: Sequence[str], sources: Sequence[Sequence[str]]) -> dict[str, float]:
    """Per check, the share of drafts failing it (0-100), and `unpostable`: failing any."""
    if len(drafts) != len(sources):
        raise ValueError(f"{len(drafts)} drafts for {len(sources)} source lists")
    counts: Counter[str] = Counter()
    for draft, texts in zip(drafts, sources, strict=True):
        reasons = unpostable_reasons(draft, texts)
        counts.update(reasons)
        counts["unpostable"] += bool(reasons)
    n = max(1, len(drafts))
    return {name: round(100 * counts[name] / n, 2) for name in (*CHECKS, "unpostable")}


def _address(found: str) -> str:
    return re.sub(r"[^0-9a-z@]", "", found.lower().removeprefix("https://").removeprefix("http://"))


def _digits(found: str) -> str:
    return re.sub(r"\D", "", found)


def _mentions(text: str) -> set[str]:
    """Addresses and digit strings a draft may repeat (a number counts however it is written)."""
    keys = {_address(x) for x in _EMAIL.findall(text) + _URL.findall(text)}
    keys |= {_digits(x) for x in _PHONE.findall(text)}
    return keys | {_digits(x) for x in re.findall(r"\d[\d,.]*", text)}


def _repeats(text: str) -> bool:
    words = _WORD.findall(text.lower())
    grams = Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))
    if grams and grams.most_common(1)[0][1] >= 3:
        return True
    sentences = [" ".join(_WORD.findall(s.lower())) for s in _SENTENCE.findall(text)]
    sentences = [s for s in sentences if len(s.split()) >= 4]
    return len(sentences) != len(set(sentences))
