"""Errors of the training layer.

Hierarchy (the CLI turns any of these into a one-line message):

    TrainingError              root of every training-layer failure
    ├── DataError              a data file is missing, unreadable, has wrong columns or unknown labels
    ├── TrainingFailed         a training run could not finish (diverged, out of time, no data)
    └── EvaluationError        evaluation inputs are inconsistent (lengths, labels)

Other training components add their subclasses below the marked line or next to the code that
raises them (`training.retrain.lease.RetrainBusy`: another retrain holds the lease).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class TrainingError(Exception):
    """Root of the training layer's errors."""


class DataError(TrainingError):
    """Training or evaluation data cannot be used; the message names the file and the problem."""


class TrainingFailed(TrainingError):
    """A training run could not finish."""


class EvaluationError(TrainingError):
    """Evaluation inputs are inconsistent."""


# --- retraining / drift errors (retrain helper) below this line ---
