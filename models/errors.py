"""Errors of the model layer.

Hierarchy (the CLI turns any of these into a one-line message):
    ModelError: a model cannot be loaded or cannot do what was asked.
        ModelLoadError: a model directory or encoder is missing, incomplete or unreadable.
        ModelConfigError: hyperparameters, labels or precision settings are invalid.
        InferenceError: a forward pass failed on input the predictor could not handle.
        GeneratorError: the reply generator (causal LM or seq2seq) failed to load or draft.
        TokenizerError: a SentencePiece tokenizer cannot be trained or loaded.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class ModelError(Exception):
    """A model cannot be loaded or cannot do what was asked; the message says why."""


# --- classifier errors (classifier helper) ---
class ModelLoadError(ModelError):
    """A model directory or encoder cannot be loaded; the message names the path and what is wrong."""


class ModelConfigError(ModelError):
    """Hyperparameters, labels or precision settings are invalid."""


class InferenceError(ModelError):
    """A forward pass failed."""


# --- generator errors (generator helper) ---
class GeneratorError(ModelError):
    """The reply generator cannot be loaded or cannot draft."""


class TokenizerError(ModelError):
    """A SentencePiece tokenizer cannot be trained or loaded."""
