"""Bar charts as geometry for a server-rendered SVG: no script, nothing from elsewhere.

Pure: the template draws what this computes, and the page's table beside each chart
holds the same numbers (PAGES.md: a chart has a text alternative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 36


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    value: int


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    baseline: float
    left: float
    right: float
    bars: Sequence[Bar]
    ticks: Sequence[Tick]
    labels: Sequence[Label]


def nice_top(largest: int) -> int:
    """The smallest of 1, 2, 5 times 10^k at or above `largest` (at least 1): the axis's top."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= largest:
                return step * top
        top *= 10


def bar_chart(groups: Sequence[tuple[str, Sequence[int]]], *, label_every: int = 1) -> Chart:
    """Grouped bars: one group per (label, values), one bar per series in a group."""
    top = nice_top(max((v for _, values in groups for v in values), default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = plot_width / max(len(groups), 1)
    series = max((len(values) for _, values in groups), default=1)
    bar_width = slot * 0.8 / series
    bars: list[Bar] = []
    labels: list[Label] = []
    for i, (label, values) in enumerate(groups):
        start = LEFT + i * slot + slot * 0.1
        for j, value in enumerate(values):
            height = plot_height * value / top
            bars.append(Bar(start + j * bar_width, baseline - height, bar_width, height, j, value))
        if i % label_every == 0:
            labels.append(Label(LEFT + i * slot + slot / 2, label))
    ticks = [Tick(baseline - plot_height * k / 4, top * k // 4) for k in range(5) if top * k % 4 == 0]
    return Chart(WIDTH, HEIGHT, baseline, LEFT, WIDTH - RIGHT, bars, ticks, labels)
