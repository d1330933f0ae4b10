"""R-SET-6's terms for a genuine offline charge, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sscard.settlement.rules import CLOCK_SKEW, OfflineTerms, offline_refusal, offline_time_is_valid

NOW = datetime(2026, 3, 10, 2, tzinfo=UTC)
TERMS = OfflineTerms(
    now=NOW,
    card_issued_at=NOW - timedelta(days=5),
    upload_window=timedelta(hours=72),
    floor_limit=20_000,
    newest_list_version=40,
)
OFFSETS = st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(hours=1))


@given(OFFSETS)
def test_r_set_6_the_window_runs_from_upload_hours_back_to_the_skew_ahead(offset: timedelta) -> None:
    valid = offline_time_is_valid(TERMS, NOW + offset)
    assert valid == (-TERMS.upload_window <= offset <= CLOCK_SKEW)


@given(OFFSETS)
def test_r_set_6_nothing_is_dated_before_the_cards_issue(offset: timedelta) -> None:
    young = OfflineTerms(NOW, NOW - timedelta(hours=2), timedelta(hours=72), 20_000, 40)
    assert offline_time_is_valid(young, NOW + offset) == (-timedelta(hours=2) <= offset <= CLOCK_SKEW)


def test_r_set_6_each_term_has_its_code_and_the_pin_comes_first() -> None:
    def refusal(**changes: object) -> str | None:
        given: dict[str, object] = {"pin_verified": True, "occurred_at": NOW, "amount": 20_000, "list_version": 40}
        return offline_refusal(TERMS, **(given | changes))  # type: ignore[arg-type]

    assert refusal() is None
    assert refusal(pin_verified=False, amount=10**9, occurred_at=NOW - timedelta(days=9)) == "pin_required"
    assert refusal(occurred_at=NOW + timedelta(minutes=6), amount=10**9) == "offline_time_invalid"
    assert refusal(amount=20_001, list_version=41) == "offline_limit_exceeded"
    assert refusal(list_version=41) == "invalid_list_version"
