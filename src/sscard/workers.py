"""Tuning of a server process once its application has started."""

from __future__ import annotations

import gc

# Collect the youngest generation after this many new objects instead of 700: a change
# fanned out to thousands of streams allocates far more than 700 short-lived objects, and
# each collection then also walks the older generations' survivors.
YOUNG_THRESHOLD = 100_000


def settle_worker() -> None:
    """Keep the collector off what the process built at start (app, routes, list mirror)."""
    gc.collect()
    # Everything alive now lives as long as the process: a full collection need not
    # walk it again, which with many open streams is what makes the pauses long.
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 50, 1000)
