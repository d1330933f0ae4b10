"""R-SEC-4 as pure rules: who may decide, and which payouts need a second approver."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sscard.claims.rules import may_decide, needs_second_approver

LOGINS = st.sampled_from(["clerk.li", "clerk.wang", "admin.zhao", "li.xiuying"])


@given(LOGINS, st.none() | LOGINS)
def test_r_sec_4_nobody_decides_what_they_filed_or_confirms_their_own_approval(filer: str, first: str | None) -> None:
    assert not may_decide(filer, filed_by=filer, first_approver=first)
    if first is not None:
        assert not may_decide(first, filed_by=filer, first_approver=first)
    assert may_decide("clerk.another", filed_by=filer, first_approver=first)


@given(st.integers(1, 10**9), st.integers(0, 10**9))
def test_r_sec_4_only_a_payout_over_the_limit_needs_a_second_approver(amount: int, limit: int) -> None:
    assert needs_second_approver(amount, limit) == (amount > limit)
    assert not needs_second_approver(limit, limit)
