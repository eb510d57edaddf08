"""Types of the data package: a checked row of a labelled file."""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledRow:
    """One row of a labelled file; `label` is already a name from `LABELS`."""

    text: str
    label: str
    weight: float | None = None
    note: str | None = None
