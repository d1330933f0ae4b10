"""The generation check of R-SEC-2 as plain functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sscard.auth.access import GRANT_TTL_SECONDS, Grants, is_fresh, still_granted

generations = st.integers(min_value=1, max_value=2**31)


@given(generations, generations)
def test_a_token_stands_only_at_its_logins_generation(token: int, current: int) -> None:
    assert still_granted(token, current) is (token == current)


@given(st.one_of(st.none(), generations))
def test_a_gone_or_disabled_login_grants_nothing(token: int | None) -> None:
    assert not still_granted(token, None)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=-80, max_value=80))
def test_a_read_is_trusted_for_less_than_the_ttl_and_never_from_the_future(checked: int, eighths: int) -> None:
    elapsed = eighths / 8  # exact in binary, so the sum below is too
    assert is_fresh(checked, checked + elapsed) is (0 <= elapsed < GRANT_TTL_SECONDS)


def test_an_invalidated_grant_is_stale_and_a_read_begun_before_is_dropped() -> None:
    now = [50.0]
    grants = Grants(monotonic=lambda: now[0])
    grant = grants.of("clerk.one")
    assert not grants.fresh(grant)
    grants.remember(grant, 3, grant.epoch)
    assert grants.fresh(grant)
    assert grant.generation == 3
    begun = grant.epoch
    grants.invalidate("clerk.one")
    grants.remember(grant, 3, begun)  # a read that started before the change
    assert not grants.fresh(grant)
    now[0] += GRANT_TTL_SECONDS
    grants.remember(grant, 4, grant.epoch)
    assert grants.fresh(grant)
    assert grants.of("clerk.one") is grant


def test_clearing_leaves_no_grant_trusted() -> None:
    grants = Grants(monotonic=lambda: 1.0)
    grant = grants.of("a.login")
    grants.remember(grant, 1, grant.epoch)
    grants.clear()
    assert not grants.fresh(grant)
    assert grants.of("a.login") is not grant
