"""Test data that satisfies the real rules: valid ID numbers, names, principals."""

from __future__ import annotations

import itertools
from datetime import date

from sscard.people.idnumber import check_character
from sscard.roles import Principal, Role

_sequence = itertools.count(1)
NAMES = ["王小明", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴芳"]


def id_number(region: str = "110101", birth: date = date(1990, 3, 7), sequence: int | None = None) -> str:
    """A valid resident ID number, unique within a test run unless `sequence` is given."""
    serial = next(_sequence) if sequence is None else sequence
    birth_part = birth.strftime("%Y%m%d")
    # Spread over birth dates too, so more than 999 numbers can be made.
    if sequence is None and serial > 999:
        birth_part = date.fromordinal(birth.toordinal() - serial // 999).strftime("%Y%m%d")
    first17 = f"{region}{birth_part}{serial % 999 + 1:03d}"
    return first17 + check_character(first17)


def name(index: int = 0) -> str:
    """A plausible Chinese name."""
    return NAMES[index % len(NAMES)]


def principal(role: Role, region: str = "000000", subject: str | None = None, **extra: object) -> Principal:
    """A principal as a verified token would carry it; `subject` names the login."""
    return Principal(subject=subject or f"{role.value}.test", role=role, region=region, **extra)  # type: ignore[arg-type]
