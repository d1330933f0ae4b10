"""A served process's tuning once its application has started."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from sscard.workers import YOUNG_THRESHOLD, settle_worker


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_settling_freezes_what_lives_and_collects_the_young_less_often() -> None:
    settle_worker()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
