from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.people.idnumber import (
    IdNumber,
    InvalidIdNumber,
    check_character,
    mask_id_number,
    parse_id_number,
)
from sscard.policy.regions import PROVINCE_CODES

TODAY = date(2025, 6, 1)


def parse(raw: str) -> IdNumber:
    return parse_id_number(raw, today=TODAY, known_provinces=PROVINCE_CODES)


def reason_for(raw: str) -> str:
    with pytest.raises(InvalidIdNumber) as caught:
        parse(raw)
    return caught.value.reason


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


# Worked by hand: 1·7 + 1·9 + 1·5 + 1·4 + 2·2 + 2·9 + 2·10 + 9·5 + 1·2 = 114,
# and 114 mod 11 = 4, which maps to "8".
def test_check_character_worked_by_hand() -> None:
    assert check_character("11010120000229001") == "8"


# The sample number printed in GB 11643 itself: the sum is 167, 167 mod 11 = 2 → X.
def test_check_character_can_be_x() -> None:
    assert check_character("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010119900307001", "1"),
        ("11010119900307002", "X"),
        ("11010119900307003", "8"),
        ("11010119900307004", "6"),
        ("13070919850615002", "4"),
        ("51078119900101123", "6"),
        ("44052418800101001", "4"),
    ],
)
def test_check_character_known_values(first17: str, expected: str) -> None:
    assert check_character(first17) == expected


@pytest.mark.parametrize("first17", ["", "1101011990030700", "110101199003070011", "1101011990030700a"])
def test_check_character_needs_seventeen_digits(first17: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        check_character(first17)
    assert caught.value.reason == "format"


def test_parse_valid_number_reports_its_parts() -> None:
    parsed = parse("130709198506150024")
    assert parsed == IdNumber(
        value="130709198506150024",
        region_code="130709",
        birth_date=date(1985, 6, 15),
        sex="female",
    )


def test_parse_odd_sequence_is_male() -> None:
    assert parse("110101199003070011").sex == "male"


def test_parse_even_sequence_is_female() -> None:
    assert parse("11010119900307002X").sex == "female"
    assert parse("110101199003070046").sex == "female"


def test_parse_check_character_x() -> None:
    parsed = parse("11010519491231002X")
    assert parsed.value.endswith("X")
    assert parsed.birth_date == date(1949, 12, 31)


def test_parse_accepts_lowercase_x_and_normalises_it() -> None:
    assert parse("11010519491231002x").value == "11010519491231002X"


def test_parse_strips_surrounding_whitespace() -> None:
    assert parse("  510781199001011236\n").value == "510781199001011236"


def test_parse_accepts_any_prefix_in_known_provinces() -> None:
    parsed = parse_id_number("110101199003070011", today=TODAY, known_provinces=["110000"])
    assert parsed.region_code == "110101"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "11010119900307001",
        "1101011990030700111",
        "11010119900307001Y",
        "X10101199003070011",
        "1101011990030700X1",
        "110101 19900307001",
        "１１０１０１１９９００３０７００１１",
        "110101199003070011\n110101199003070011",
    ],
)
def test_parse_rejects_bad_format(raw: str) -> None:
    assert reason_for(raw) == "format"


@pytest.mark.parametrize(
    "first17",
    [
        "99010119900307001",  # no province starts with 99
        "00000019900307001",  # the national code is not a place of birth
        "11000019900307001",  # a province code alone is too coarse
        "51000019900307001",
    ],
)
def test_parse_rejects_bad_region(first17: str) -> None:
    assert reason_for(with_check(first17)) == "region"


def test_parse_region_is_judged_against_the_given_provinces() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number("110101199003070011", today=TODAY, known_provinces=["510000"])
    assert caught.value.reason == "region"


@pytest.mark.parametrize(
    "birth",
    [
        "19901301",  # month 13
        "19900230",
        "19900431",
        "19900000",
        "18991231",  # before 1900
        "18800101",
    ],
)
def test_parse_rejects_bad_birth_date(birth: str) -> None:
    assert reason_for(with_check(f"110101{birth}001")) == "birth_date"


def test_feb_29_is_accepted_in_a_leap_year() -> None:
    assert parse(with_check("11010120000229001")).birth_date == date(2000, 2, 29)
    assert parse(with_check("13070220040229012")).birth_date == date(2004, 2, 29)


@pytest.mark.parametrize("year", ["1900", "2023", "2100"])
def test_feb_29_is_rejected_in_a_common_year(year: str) -> None:
    assert reason_for(with_check(f"110101{year}0229001")) == "birth_date"


def test_birth_today_is_accepted_but_tomorrow_is_not() -> None:
    born_today = with_check(f"110101{TODAY:%Y%m%d}001")
    assert parse(born_today).birth_date == TODAY
    tomorrow = TODAY + timedelta(days=1)
    assert reason_for(with_check(f"110101{tomorrow:%Y%m%d}001")) == "birth_date"


def test_first_day_of_1900_is_accepted() -> None:
    assert parse(with_check("11010119000101001")).birth_date == date(1900, 1, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "110101199003070012",
        "110101199003070010",
        "11010119900307001X",
        "110101199003070021",
    ],
)
def test_parse_rejects_wrong_check_character(raw: str) -> None:
    assert reason_for(raw) == "check_digit"


def test_region_is_checked_before_birth_date() -> None:
    assert reason_for("990101199013070011") == "region"


def test_birth_date_is_checked_before_check_character() -> None:
    assert reason_for("110101199013070010") == "birth_date"


def test_format_is_checked_first() -> None:
    assert reason_for("99010119901307001Y") == "format"


def test_invalid_id_number_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="check character"):
        parse("110101199003070012")


def test_mask_keeps_first_six_and_last_four() -> None:
    assert mask_id_number("110101199003071234") == "110101********1234"


def test_mask_keeps_a_trailing_x() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize("value", ["", "1101011990", "1101011990030700111"])
def test_mask_refuses_a_value_of_the_wrong_length(value: str) -> None:
    with pytest.raises(InvalidIdNumber):
        mask_id_number(value)


def _two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


first17_strategy = st.builds(
    lambda province, city, district, born, sequence: f"{province[:2]}{city}{district}{born:%Y%m%d}{sequence:03d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    _two_digits(0, 99),
    _two_digits(1, 99),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)


@given(first17_strategy)
def test_any_valid_seventeen_digits_with_their_check_character_parse(
    first17: str,
) -> None:
    parsed = parse(with_check(first17))
    assert parsed.value == with_check(first17)
    assert parsed.region_code == first17[:6]
    assert parsed.sex == ("male" if int(first17[14:17]) % 2 else "female")


@given(
    first17_strategy,
    st.integers(0, 17),
    st.sampled_from("0123456789X"),
)
def test_changing_any_single_character_is_detected(first17: str, position: int, replacement: str) -> None:
    valid = with_check(first17)
    if replacement == "X" and position != 17:
        replacement = "0"
    if valid[position] == replacement:
        replacement = "1" if replacement != "1" else "2"
    altered = valid[:position] + replacement + valid[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        parse(altered)


@given(first17_strategy)
def test_mask_hides_exactly_the_birth_date_and_sequence(first17: str) -> None:
    valid = with_check(first17)
    masked = mask_id_number(valid)
    assert len(masked) == 18
    assert masked[:6] == valid[:6]
    assert masked[14:] == valid[14:]
    assert set(masked[6:14]) == {"*"}
