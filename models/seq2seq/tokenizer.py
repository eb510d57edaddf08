"""A SentencePiece tokenizer trained on the (message, reply) corpus itself.

Ids are fixed for every model: 0 pad, 1 unk, 2 bos, 3 eos. Placeholders such as
`{{Order Number}}` are kept whole as user-defined symbols when they are frequent, so a model
can copy them.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import sentencepiece as spm

from models.errors import TokenizerError

logger = logging.getLogger(__name__)

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
TOKENIZER_FILE = "spm.model"


def frequent_placeholders(texts: Iterable[str], min_count: int = 5, limit: int = 200) -> list[str]:
    """`{{...}}` placeholders seen at least `min_count` times, most frequent first."""
    counts = Counter(m for text in texts for m in re.findall(r"\{\{[^{}]{1,40}\}\}", text))
    return [p for p, c in counts.most_common(limit) if c >= min_count]


def train_tokenizer(texts: Sequence[str], directory: Path, vocab_size: int = 4000) -> Path:
    """Train a unigram SentencePiece model on `texts`; returns the path of `spm.model`.

    The vocabulary shrinks automatically on a tiny corpus (tests), where SentencePiece would
    otherwise refuse the requested size.
    """
    clean = [t.replace("\n", " ").strip() for t in texts if t and t.strip()]
    if not clean:
        raise TokenizerError("cannot train a tokenizer on an empty corpus")
    # SentencePiece matches user-defined symbols after turning spaces into "▁" (U+2581).
    symbols = [p.replace(" ", "\u2581") for p in frequent_placeholders(clean)]
    chars = len(set("".join(clean)))
    words = len({w for t in clean for w in t.split()})
    size = max(min(vocab_size, words + chars + len(symbols) + 4), chars + len(symbols) + 8)
    directory.mkdir(parents=True, exist_ok=True)
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(clean),
            model_writer=model,
            vocab_size=size,
            model_type="unigram",
            character_coverage=1.0,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            user_defined_symbols=symbols,
            hard_vocab_limit=False,
            minloglevel=2,
            num_threads=1,
        )
    except RuntimeError as exc:
        raise TokenizerError(f"SentencePiece training failed: {exc}") from exc
    path = directory / TOKENIZER_FILE
    path.write_bytes(model.getvalue())
    logger.info("trained SentencePiece (%d pieces) on %d texts", size, len(clean))
    return path


def load_tokenizer(path: Path) -> spm.SentencePieceProcessor:
    """Load `spm.model` (a file, or the directory holding it)."""
    path = path / TOKENIZER_FILE if path.is_dir() else path
    if not path.is_file():
        raise TokenizerError(f"no SentencePiece model at {path}")
    return spm.SentencePieceProcessor(model_file=str(path))
