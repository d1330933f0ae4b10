"""How long the list's broker waits before it tries LISTEN again (issue 14): pure.

The wait doubles from `first` with each failure in a row, up to `cap`, and starts over
once a LISTEN succeeds: so a database restarted five times costs each time a second or
so, not the ever longer waits of a doubling that never resets. Each wait is jittered
(between half and all of its ceiling) so that many server processes do not reconnect
in the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """The waits between reconnection attempts."""

    def __init__(self, *, first: float = 0.25, cap: float = 4.0, draw: Callable[[], float] = random.random) -> None:
        if not 0 < first <= cap:
            raise ValueError("0 < first <= cap")
        self.first, self.cap = first, cap
        self._draw = draw
        self._failures = 0

    def ceiling(self) -> float:
        """The longest the next wait can be."""
        return min(self.cap, self.first * 2.0 ** min(self._failures, 32))

    def next_delay(self) -> float:
        """The wait after one more failure in a row."""
        ceiling = self.ceiling()
        self._failures += 1
        return ceiling / 2 + self._draw() * ceiling / 2

    def reset(self) -> None:
        """A LISTEN succeeded: the next failure waits the shortest again."""
        self._failures = 0
