"""Resident identity numbers as defined by GB 11643-1999.

Eighteen characters: a six-digit address code, the birth date as YYYYMMDD, a
three-digit sequence whose parity gives the sex, and an ISO 7064 MOD 11-2
check character that may be ``X``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Literal

Reason = Literal["format", "check_digit", "birth_date", "region"]
Sex = Literal["male", "female"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# [0-9] rather than \d, which would also admit non-ASCII digits.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_FIRST17 = re.compile(r"[0-9]{17}")


class InvalidIdNumber(ValueError):
    """An identity number that fails GB 11643; ``reason`` says which rule."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A valid resident identity number and what it encodes."""

    value: str
    region_code: str
    birth_date: date
    sex: Sex


def check_character(first17: str) -> str:
    """Compute the MOD 11-2 check character for the first 17 digits."""
    if not _FIRST17.fullmatch(first17):
        raise InvalidIdNumber("format", "the check character needs exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def parse_id_number(raw: str, *, today: date, known_provinces: Collection[str]) -> IdNumber:
    """Validate an identity number and return its parts, or raise InvalidIdNumber."""
    value = normalise_id_number(raw)
    _check_shape(value)
    _check_region(value[:6], known_provinces)
    birth_date = _birth_date(value[6:14], today)
    _check_check_character(value)
    return IdNumber(
        value=value,
        region_code=value[:6],
        birth_date=birth_date,
        sex=_sex(value[14:17]),
    )


def mask_id_number(value: str) -> str:
    """Hide the birth date and sequence, keeping the first 6 and last 4 characters."""
    # A shorter string would leave too little hidden to be worth showing at all.
    if len(value) != 18:
        raise InvalidIdNumber("format", "only an 18-character number can be masked")
    return value[:6] + "*" * 8 + value[-4:]


def normalise_id_number(raw: str) -> str:
    """The number as typed, trimmed and with a lower-case check character ``x`` raised."""
    value = raw.strip()
    if value.endswith("x"):
        return value[:-1] + "X"
    return value


def _check_shape(value: str) -> None:
    if not _SHAPE.fullmatch(value):
        raise InvalidIdNumber("format", "an identity number is 17 digits followed by a digit or X")


def _check_region(address_code: str, known_provinces: Collection[str]) -> None:
    province_prefixes = {code[:2] for code in known_provinces}
    if address_code[:2] not in province_prefixes:
        raise InvalidIdNumber("region", f"address code {address_code} is in no known province")
    if address_code.endswith("0000"):
        raise InvalidIdNumber("region", f"address code {address_code} names a province, not a place")


def _birth_date(digits: str, today: date) -> date:
    # Messages leave the date out: they may be logged, and a birth date is personal.
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdNumber("birth_date", "the birth date is not a calendar date") from None
    if born < _EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber("birth_date", "the birth date is before 1900")
    if born > today:
        raise InvalidIdNumber("birth_date", "the birth date is in the future")
    return born


def _check_check_character(value: str) -> None:
    expected = check_character(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber("check_digit", f"check character should be {expected}, not {value[17]}")


def _sex(sequence: str) -> Sex:
    return "male" if int(sequence) % 2 == 1 else "female"
