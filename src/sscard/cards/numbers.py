"""Card numbers: issuing region (6 digits) + serial (9) + Luhn check digit = 16 digits."""

from __future__ import annotations

from sscard.policy.regions import is_region_code

SERIAL_DIGITS = 9
CARD_NO_LENGTH = 6 + SERIAL_DIGITS + 1


def luhn_check_digit(payload: str) -> str:
    """The Luhn digit that makes payload + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def make_card_no(region_code: str, serial: int) -> str:
    """A card number for the n-th card of a region."""
    if not is_region_code(region_code):
        raise ValueError(f"{region_code!r} is not a six-digit region code")
    if not 0 < serial < 10**SERIAL_DIGITS:
        raise ValueError(f"serial {serial} is out of range")
    payload = f"{region_code}{serial:0{SERIAL_DIGITS}d}"
    return payload + luhn_check_digit(payload)


def is_card_no(value: str) -> bool:
    """Well-formed: 16 ASCII digits whose last is the Luhn digit of the rest."""
    return (
        len(value) == CARD_NO_LENGTH
        and value.isascii()
        and value.isdigit()
        and luhn_check_digit(value[:-1]) == value[-1]
    )
