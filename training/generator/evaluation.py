"""Score reply generators on held-out (message, reply) pairs: BLEU, ROUGE-1/2/L, lengths, latency,
and the share of unpostable drafts (`training.generator.draft_checks`).

BLEU is corpus-level sacreBLEU (13a tokenisation); ROUGE is the mean F1 of Google's
`rouge-score` with stemming. Neither is fetched from a hub (`evaluate.load` would). Latency is
measured per draft, batch 1, as a user meets it.

Example:
    >>> report = evaluate_generator("lm+retrieval", generator, test_pairs, examples_for=retrieve)
    >>> print(format_table([report]))
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from training.errors import EvaluationError
from training.generator.draft_checks import CHECKS, failure_rates
from training.generator.meaning import MeaningScorer
from training.generator.pairs import Pair
from training.generator.types import DraftScores, GeneratorReport

if TYPE_CHECKING:
    from models.generator import DraftGenerator

logger = logging.getLogger(__name__)

Examples = Callable[[str], Sequence[tuple[str, str]]]
Sentiment = Callable[[str], str | None]


def score_drafts(hypotheses: Sequence[str], references: Sequence[str]) -> DraftScores:
    """Corpus BLEU and mean ROUGE-1/2/L F1 of `hypotheses` against one reference each."""
    if len(hypotheses) != len(references):
        raise EvaluationError(f"{len(hypotheses)} drafts for {len(references)} references")
    if not hypotheses:
        raise EvaluationError("nothing to score")
    import sacrebleu
    from rouge_score import rouge_scorer

    bleu = sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        for key, score in scorer.score(reference, hypothesis).items():
            totals[key] += score.fmeasure
    n = len(hypotheses)
    return DraftScores(
        round(bleu, 2), *(round(100 * totals[k] / n, 2) for k in ("rouge1", "rouge2", "rougeL"))
    )


def evaluate_generator(
    name: str,
    generator: DraftGenerator,
    pairs: Sequence[Pair],
    *,
    examples_for: Examples | None = None,
    sentiment_for: Sentiment | None = None,
    max_new_tokens: int | None = None,
    samples: int = 10,
    progress: bool = False,
    meaning: MeaningScorer | None = None,
) -> GeneratorReport:
    """Draft a reply to every pair's message and score the drafts against the pairs' replies
    (with `meaning`, also semantic similarity and intent accuracy)."""
    drafts, latencies, model, sources = [], [], name, []
    for pair in tqdm(pairs, desc=name, disable=not progress, leave=False):
        examples = examples_for(pair.message) if examples_for else ()
        sources.append([pair.message, *(reply for _, reply in examples)])
        sentiment = sentiment_for(pair.message) if sentiment_for else None
        draft = generator.draft(
            pair.message, sentiment=sentiment, examples=examples, max_new_tokens=max_new_tokens
        )
        drafts.append(str(draft.reply))
        latencies.append(float(draft.latency_ms))
        model = str(draft.model)
    references = [pair.reply for pair in pairs]
    words = [len(d.split()) for d in drafts]
    report = GeneratorReport(
        name=name,
        model=model,
        n=len(pairs),
        scores=score_drafts(drafts, references),
        mean_words=round(statistics.fmean(words), 1),
        median_words=statistics.median(words),
        reference_mean_words=round(statistics.fmean(len(r.split()) for r in references), 1),
        p50_latency_ms=round(float(np.percentile(latencies, 50)), 1),
        p95_latency_ms=round(float(np.percentile(latencies, 95)), 1),
        samples=[
            {"message": p.message, "reference": p.reply, "draft": d}
            for p, d in zip(pairs[:samples], drafts[:samples], strict=True)
        ],
        failures=failure_rates(drafts, sources),
    )
    if meaning is not None:
        report.semantic_similarity = meaning.similarity(drafts, references)
        report.intent_accuracy = meaning.intent_accuracy(drafts, [p.intent for p in pairs])
    logger.info("%s: BLEU %.2f, ROUGE-L %.2f", name, report.scores.bleu, report.scores.rougeL)
    return report


def format_table(reports: Sequence[GeneratorReport]) -> str:
    """A markdown table: one row per generator."""
    lines = [
        "| generator | model | n | BLEU | ROUGE-1 | ROUGE-2 | ROUGE-L | words (mean / median) "
        "| similarity | intent % | unpostable % | p50 latency ms | p95 latency ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        s = r.scores
        lines.append(
            f"| {r.name} | {r.model} | {r.n} | {s.bleu:.2f} | {s.rouge1:.2f} | {s.rouge2:.2f} "
            f"| {s.rougeL:.2f} | {r.mean_words:.0f} / {r.median_words:.0f} "
            f"| {_number(r.semantic_similarity)} | {_number(r.intent_accuracy)} "
            f"| {r.failures.get('unpostable', 0.0):.1f} "
            f"| {r.p50_latency_ms:.0f} | {r.p95_latency_ms:.0f} |"
        )
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_failures(reports: Sequence[GeneratorReport]) -> str:
    """A markdown table: per generator, the share of drafts failing each unpostable check."""
    lines = [
        "| generator | " + " | ".join(c.replace("_", " ") for c in CHECKS) + " | any |",
        "|---|" + "---:|" * (len(CHECKS) + 1),
    ]
    for r in reports:
        cells = [f"{r.failures.get(name, 0.0):.1f}" for name in (*CHECKS, "unpostable")]
        lines.append(f"| {r.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_samples(reports: Sequence[GeneratorReport], count: int, width: int = 300) -> str:
    """The first `count` test messages with the reference and every generator's draft, as markdown."""
    if not reports:
        return ""
    blocks = []
    for index, sample in enumerate(reports[0].samples[:count]):
        lines = [f"**Customer:** {sample['message']}", "", "| | reply |", "|---|---|"]
        rows = [("reference", sample["reference"])]
        rows += [(r.name, r.samples[index]["draft"]) for r in reports if index < len(r.samples)]
        for name, text in rows:
            flat = " ".join(text.split()).replace("|", "\\|")
            lines.append(f"| {name} | {flat[:width] + (' ...' if len(flat) > width else '')} |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def write_json(path: Path, reports: Sequence[GeneratorReport], meta: dict[str, Any]) -> Path:
    """All reports (scores, lengths, latency, sample drafts) and run details as one JSON file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**meta, "generators": [asdict(r) for r in reports]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    return path
