"""Card numbers: 6-digit issuing region + 9-digit serial + Luhn check digit (R-CARD-1)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sscard.cards.numbers import CARD_NO_LENGTH, is_card_no, luhn_check_digit, make_card_no

MAX_SERIAL = 10**9 - 1

region_codes = st.text(alphabet="0123456789", min_size=6, max_size=6)
serials = st.integers(min_value=1, max_value=MAX_SERIAL)


def reference_luhn_valid(number: str) -> bool:
    """Luhn as the textbook states it: from the right, double every second digit, sum the digits."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            tens, units = divmod(digit * 2, 10)
            digit = tens + units
        total += digit
    return total % 10 == 0


@pytest.mark.parametrize(
    ("payload", "digit"),
    [
        ("7992739871", "3"),  # the textbook example
        ("453957876362148", "6"),
        ("123456781234567", "0"),
        ("000000000000000", "0"),
        ("", "0"),
        ("0", "0"),
        ("1", "8"),
        ("9", "1"),
        ("18", "2"),
    ],
)
def test_luhn_check_digit_of_known_numbers(payload: str, digit: str) -> None:
    assert luhn_check_digit(payload) == digit


@pytest.mark.parametrize("number", ["4539578763621486", "1234567812345670", "0000000000000000", "1101050000000019"])
def test_known_valid_numbers_are_card_numbers(number: str) -> None:
    assert reference_luhn_valid(number)
    assert is_card_no(number)


@given(st.text(alphabet="0123456789", max_size=30))
def test_luhn_check_digit_agrees_with_the_textbook(payload: str) -> None:
    digit = luhn_check_digit(payload)
    assert len(digit) == 1
    assert digit.isdigit()
    assert reference_luhn_valid(payload + digit)


def test_make_card_no_concrete() -> None:
    assert make_card_no("110105", 1) == "1101050000000019"
    assert make_card_no("130700", 123_456_789) == "130700123456789" + luhn_check_digit("130700123456789")


@given(region_codes, serials)
def test_make_card_no_format(region: str, serial: int) -> None:
    """16 ASCII digits: region, zero-padded serial, Luhn digit."""
    card_no = make_card_no(region, serial)
    assert len(card_no) == CARD_NO_LENGTH == 16
    assert card_no.isascii()
    assert card_no.isdigit()
    assert card_no[:6] == region
    assert card_no[6:15] == f"{serial:09d}"
    assert int(card_no[6:15]) == serial
    assert reference_luhn_valid(card_no)
    assert is_card_no(card_no)


@given(region_codes, serials, serials)
def test_make_card_no_is_unique_per_serial(region: str, first: int, second: int) -> None:
    assume(first != second)
    assert make_card_no(region, first) != make_card_no(region, second)


@pytest.mark.parametrize("serial", [1, 2, MAX_SERIAL])
def test_serial_bounds_accepted(serial: int) -> None:
    assert is_card_no(make_card_no("510703", serial))


@pytest.mark.parametrize("serial", [0, -1, 10**9, 10**12])
def test_serial_out_of_range_refused(serial: int) -> None:
    with pytest.raises(ValueError, match="serial"):
        make_card_no("510703", serial)


@pytest.mark.parametrize(
    "region",
    [
        pytest.param("11010", id="five-digits"),
        pytest.param("1101050", id="seven-digits"),
        pytest.param("", id="empty"),
        pytest.param("１１０１０５", id="full-width-digits"),
        pytest.param("11a105", id="letter"),
    ],
)
def test_make_card_no_refuses_a_region_that_is_not_six_ascii_digits(region: str) -> None:
    """A card number starts with a 6-digit region; anything else must not yield a number."""
    with pytest.raises(ValueError):
        make_card_no(region, 1)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "110105000000001",  # 15 digits, no check digit
        "11010500000000190",  # 17 digits
        "1101050000000018",  # wrong check digit
        "110105000000001a",
        "11010500000 0019",
        " 110105000000001",
        "1101050000000019\n",
        "１１０１０５０００００００１９",  # full-width digits, Luhn-valid
        "١١٠١٠٥٠٠٠٠٠٠٠٠١٩",  # Arabic-Indic digits, Luhn-valid
        "-101050000000019",
    ],
)
def test_is_card_no_refuses(value: str) -> None:
    assert not is_card_no(value)


@given(region_codes, serials, st.integers(min_value=0, max_value=15), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_detected(region: str, serial: int, position: int, shift: int) -> None:
    card_no = make_card_no(region, serial)
    changed_digit = str((int(card_no[position]) + shift) % 10)
    changed = card_no[:position] + changed_digit + card_no[position + 1 :]
    assert changed != card_no
    assert not is_card_no(changed)


@given(region_codes, serials, st.integers(min_value=0, max_value=14))
def test_adjacent_transposition_is_detected_except_09(region: str, serial: int, position: int) -> None:
    """Luhn catches every swap of two adjacent different digits but 0 and 9."""
    card_no = make_card_no(region, serial)
    first, second = card_no[position], card_no[position + 1]
    assume(first != second)
    swapped = card_no[:position] + second + first + card_no[position + 2 :]
    if {first, second} == {"0", "9"}:
        # The known blind spot: 0 doubled is 0 and 9 doubled is 9 (1+8), so "09" and "90" sum alike.
        assert is_card_no(swapped)
    else:
        assert not is_card_no(swapped)


def test_luhn_blind_spot_09_90() -> None:
    """The blind spot made concrete: swapping "09" to "90" gives another valid number."""
    original = make_card_no("110105", 90_000_000)
    assert original[6:8] == "09"
    swapped = original[:6] + "90" + original[8:]
    assert is_card_no(swapped)
    assert swapped == make_card_no("110105", 900_000_000)
