"""Hypothesis settings of the property tests: reproducible, bounded, no deadline.

`derandomize=True` draws the same examples on every run, so CI is reproducible and a failure
on one machine fails on every machine; no example database is written into the working tree.
`deadline=None`: a loaded 2-core CI machine must not turn a slow example into a failure.
`HYPOTHESIS_PROFILE=thorough` draws many more examples for a local hunt.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "triagebot",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    # Hostile examples (10,000-deep nesting, 40,000 characters) are large on purpose.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough", parent=settings.get_profile("triagebot"), max_examples=2000, derandomize=False
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "triagebot"))
