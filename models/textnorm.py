"""Text normalisation shared by training and serving, and checks for texts a model cannot judge."""

from __future__ import annotations

import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|io|co|ly)/\S*", re.IGNORECASE)
# Slack escapes links and mentions as <https://...|label> and <@U123>; tweets use @handle.
SLACK_LINK_RE = re.compile(r"<(?:https?://|mailto:)[^>]*>")
SLACK_MENTION_RE = re.compile(r"<[@#!][^>]*>")
# E-mail addresses first (masked as `email`), then every @handle, also the ones the shipped tweets
# glue to a word or to mojibake ("more@Blacklist", "‰ÛÏ@JetBlue", ".@Apple").
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
HANDLE_RE = re.compile(r"@\w+")
SPACE_RE = re.compile(r"\s+")
WORD_RE = re.compile(r"[^\W\d_]{2,}")
MASKED_WORDS = frozenset({"http", "user", "email"})


def normalise_text(text: str) -> str:
    """Mask @handles as `@user` and URLs as `http`, collapse whitespace (same as at training time).

    Example:
        >>> normalise_text("@united see https://t.co/x  now")
        '@user see http now'
    """
    text = unicodedata.normalize("NFC", text)
    text = SLACK_LINK_RE.sub("http", text)
    text = SLACK_MENTION_RE.sub("@user", text)
    text = URL_RE.sub("http", text)
    text = EMAIL_RE.sub("email", text)
    text = HANDLE_RE.sub("@user", text)
    return SPACE_RE.sub(" ", text).strip()


def unclassifiable_reason(normalised: str) -> str:
    """Why a normalised text holds nothing to classify ("empty text", ...), or "" when it does."""
    if not normalised:
        return "empty text"
    words = [w for w in WORD_RE.findall(normalised) if w.lower() not in MASKED_WORDS]
    if words:
        return ""
    if "http" in normalised and not any(ch.isalnum() for ch in normalised.replace("http", "")):
        return "link only"
    if any(unicodedata.category(ch) == "So" for ch in normalised):
        return "emoji or symbols only"
    return "no words"


TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s]", re.UNICODE)


def word_tokens(normalised: str) -> list[str]:
    """Lower-cased word and punctuation tokens of a normalised text (the drift vocabulary's units)."""
    return TOKEN_RE.findall(normalised.lower())


def non_english_share(text: str) -> float:
    """Share of letters outside the Latin script (a cheap signal for non-English text)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    foreign = sum(1 for ch in letters if "LATIN" not in unicodedata.name(ch, ""))
    return foreign / len(letters)
