"""The temporary certificate's pure rules (R-SET-5, R-REP-4), in many cases."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from sscard.loss.rules import certificate_last_valid_day
from sscard.settlement.rules import certificate_valid_on, in_issuing_city

regions = st.from_regex(r"\A[1-8][0-9]{5}\Z")
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
valid_days = st.integers(min_value=1, max_value=365)


@given(applied_on=days, valid=valid_days)
def test_r_rep_4_a_certificate_holds_valid_days_after_the_day_of_application(applied_on: date, valid: int) -> None:
    last = certificate_last_valid_day(applied_on, valid)
    assert (last - applied_on).days == valid
    assert certificate_valid_on(last, applied_on)
    assert certificate_valid_on(last, last)
    assert not certificate_valid_on(last, last + timedelta(days=1))


def test_r_rep_4_the_default_sixty_days() -> None:
    assert certificate_last_valid_day(date(2026, 3, 2), 60) == date(2026, 5, 1)
    assert certificate_last_valid_day(date(2026, 12, 31), 60) == date(2027, 3, 1)


@given(issuing=regions, district=st.from_regex(r"\A[0-9]{2}\Z"))
def test_r_set_5_any_district_of_the_issuing_city_accepts_it(issuing: str, district: str) -> None:
    assert in_issuing_city(issuing, issuing[:4] + district)


@given(issuing=regions, elsewhere=regions)
def test_r_set_5_a_region_of_another_city_does_not(issuing: str, elsewhere: str) -> None:
    assume(elsewhere[:4] != issuing[:4])
    assert not in_issuing_city(issuing, elsewhere)


def test_r_set_5_same_province_is_not_enough() -> None:
    assert not in_issuing_city("130705", "130102")  # Zhangjiakou's certificate at Shijiazhuang
    assert in_issuing_city("110105", "110108")  # Beijing: Chaoyang's certificate in Haidian
