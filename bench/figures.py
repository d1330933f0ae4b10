"""What a benchmark reports: measured figures, each against its target."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

COMPARE: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured number, the target it is held to, and how it was measured."""

    benchmark: str
    name: str
    value: float
    unit: str
    target: float | None = None
    compare: str = "<="
    note: str = ""

    @property
    def holds(self) -> bool | None:
        """Whether the target holds (None where a figure is context, not a target)."""
        return None if self.target is None else COMPARE[self.compare](self.value, self.target)

    def as_json(self) -> dict[str, Any]:
        """The figure with its verdict, for the results file."""
        return asdict(self) | {"holds": self.holds}


def verdict(holds: bool | None) -> str:
    """How a verdict reads in a table."""
    return {True: "holds", False: "MISSED", None: "—"}[holds]
