"""Root fixtures: every test runs offline, with its own data directory."""

from __future__ import annotations

import os

# Never reach a model hub from tests, whatever the caller's environment says.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.tiny_models",
    "tests.fixtures.tiny_generators",
    "tests.fixtures.slack",
    "tests.fixtures.brokers",
]
