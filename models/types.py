"""Plain result types shared by the predictors and everything that consumes them."""

from __future__ import annotations

from dataclasses import dataclass, field

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Prediction:
    """One classified text.

    Attributes:
        label: one of `LABELS`.
        confidence: probability of `label`.
        scores: probability of every label, summing to 1.
        model_version: the version that produced it.
        note: why the result is special ("empty text", "truncated"), empty otherwise.
    """

    label: str
    confidence: float
    scores: dict[str, float]
    model_version: str
    note: str = ""


@dataclass(frozen=True)
class Draft:
    """A suggested reply.

    Attributes:
        reply: the cleaned reply text, ready to post.
        model: the generator that wrote it (name or version).
        sentiment: the customer's predicted sentiment used in the prompt, if any.
        latency_ms: wall time spent drafting.
        examples: approved replies retrieved as grounding, most similar first.
    """

    reply: str
    model: str
    sentiment: str | None
    latency_ms: float
    examples: list[str] = field(default_factory=list)
