"""The arithmetic of R-SEC-3's sign-in throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sscard.auth.throttle import LOCK, WINDOW, Count, after_failure, retry_after

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
gaps = st.lists(st.integers(min_value=0, max_value=2_000), min_size=1, max_size=30)


def run(gaps_in_seconds: list[int], max_failures: int) -> tuple[Count, datetime]:
    count, now = Count(), T0
    for gap in gaps_in_seconds:
        now += timedelta(seconds=gap)
        if retry_after(count, now) is None:
            count = after_failure(count, now, max_failures)
    return count, now


def test_the_fifth_failure_within_the_window_locks_for_fifteen_minutes() -> None:
    count, now = run([0, 60, 60, 60, 60], 5)
    assert count.locked_until == now + LOCK
    assert retry_after(count, now) == 900
    assert retry_after(count, now + LOCK - timedelta(seconds=0.5)) == 1
    assert retry_after(count, now + LOCK) is None


def test_failures_spread_wider_than_the_window_never_lock() -> None:
    count, _ = run([0] + [int(WINDOW.total_seconds()) // 4 + 1] * 20, 5)
    assert count.locked_until is None


@given(gaps, st.integers(min_value=1, max_value=10))
def test_a_lock_needs_max_failures_inside_one_window(gaps_in_seconds: list[int], max_failures: int) -> None:
    count, _ = run(gaps_in_seconds, max_failures)
    assert count.failures < max_failures
    if count.locked_until is None:
        assert count.window_started_at is not None
    else:
        assert count.failures == 0
        assert len(gaps_in_seconds) >= max_failures


@given(gaps, st.integers(min_value=1, max_value=10))
def test_a_lock_never_lasts_longer_than_lock(gaps_in_seconds: list[int], max_failures: int) -> None:
    count, now = run(gaps_in_seconds, max_failures)
    wait = retry_after(count, now)
    assert wait is None or 1 <= wait <= LOCK.total_seconds()
