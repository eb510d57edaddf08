"""The Slack outbox: every Slack write after a decision is a row, delivered once by a sender.

`Outbox` (in `writer.py`) stores the writes job handlers ask for; `OutboxSender` (`sender.py`)
delivers them, paced per channel (`pacing.py`), retried on transient failures and marked with
the reason of a permanent one (`outcomes.py`). Bursts of alerts become digests (storage folds
them; `delivery.py` renders them at send time).
"""

from __future__ import annotations

from bot.outbox.clients import ClientSource
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Outbox

__all__ = ["ClientSource", "Outbox", "OutboxSender"]
