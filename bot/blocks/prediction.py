"""Blocks showing one classification with its confidence, scores and feedback buttons."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, actions, button, confidence_bar, context, quote, section
from bot.payloads import encode
from models.types import Prediction

EMOJI_FALLBACK = {"negative": "rage", "neutral": "speech_balloon", "positive": "tada"}


def build_prediction_blocks(
    text: str,
    prediction: Prediction,
    *,
    emoji: dict[str, str] | None = None,
    feedback_state: dict[str, Any] | None = None,
) -> list[Block]:
    """Label, confidence bar, per-label scores and "Correct" / "Wrong label" buttons.

    Args:
        text: the classified text (quoted, shortened).
        prediction: a `models.types.Prediction`.
        emoji: label -> emoji name (settings), for the headline.
        feedback_state: what the feedback buttons need later (text, channel, ts, team).
    """
    icons = emoji or EMOJI_FALLBACK
    label = prediction.label
    headline = (
        f":{icons.get(label, 'grey_question')}: *{label}* "
        f"`{confidence_bar(prediction.confidence)}` {prediction.confidence:.0%}"
    )
    scores = "  ".join(f"{name}: {score:.2f}" for name, score in sorted(prediction.scores.items()))
    blocks: list[Block] = [
        section(f"{headline}\n{quote(text)}"),
        context(f"{scores} · model `{prediction.model_version}`"),
    ]
    if prediction.note:
        blocks.append(context(f"note: {prediction.note}"))
    state = {"t": text, "l": label, **(feedback_state or {})}
    value = encode(state)
    blocks.append(
        actions(
            button("Correct", "feedback_correct", value, style="primary"),
            button("Wrong label", "feedback_wrong", value),
            block_id="feedback",
        )
    )
    return blocks


def build_prediction_text(prediction: Prediction) -> str:
    """The notification fallback text of a prediction message."""
    return f"Sentiment: {prediction.label} ({prediction.confidence:.0%})"
