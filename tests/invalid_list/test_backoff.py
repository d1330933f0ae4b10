"""The broker's LISTEN reconnect waits (issue 14): capped, jittered, and reset by a
successful LISTEN."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sscard.invalid_list.backoff import Backoff

draws = st.floats(min_value=0, max_value=1, exclude_max=True)
failures = st.integers(min_value=1, max_value=200)


@given(st.lists(draws, min_size=1, max_size=200))
def test_no_wait_passes_the_cap_nor_falls_below_half_the_first(jitter: list[float]) -> None:
    values = iter(jitter)
    backoff = Backoff(first=0.25, cap=4.0, draw=lambda: next(values))
    delays = [backoff.next_delay() for _ in jitter]
    assert all(0.125 <= delay <= 4.0 for delay in delays)


@given(failures)
def test_the_ceiling_doubles_with_each_failure_in_a_row_up_to_the_cap(count: int) -> None:
    backoff = Backoff(first=0.25, cap=4.0, draw=lambda: 0.999999)
    ceilings = []
    for _ in range(count):
        ceilings.append(backoff.ceiling())
        backoff.next_delay()
    assert ceilings == [min(4.0, 0.25 * 2**n) for n in range(count)]


@given(failures, draws)
def test_after_a_successful_listen_the_next_wait_is_the_shortest_again(count: int, jitter: float) -> None:
    backoff = Backoff(first=0.25, cap=4.0, draw=lambda: jitter)
    for _ in range(count):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 0.25


@given(st.lists(failures, min_size=5, max_size=20))
def test_many_restarts_in_a_night_never_make_the_wait_grow_past_the_cap(outages: list[int]) -> None:
    # The old broker doubled for ever: five restarts made it wait 16 s.
    backoff = Backoff(first=0.25, cap=4.0, draw=lambda: 0.999999)
    for failed in outages:
        waits = [backoff.next_delay() for _ in range(failed)]
        assert max(waits) <= 4.0
        backoff.reset()


def test_a_wait_is_jittered_between_half_and_all_of_its_ceiling() -> None:
    low, high = Backoff(draw=lambda: 0.0), Backoff(draw=lambda: 0.999999)
    assert low.next_delay() == 0.125
    assert 0.2499 < high.next_delay() <= 0.25
