"""Settlement and liability rules (R-SET, R-LIA): pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Category(StrEnum):
    """R-SET-1: medical items only; never cash, never a transfer."""

    DRUG = "drug"
    TREATMENT = "treatment"
    EXAMINATION = "examination"
    MATERIAL = "material"
    HOSPITAL_STAY = "hospital_stay"


def allowed_category(value: str) -> Category | None:
    """The category, or None for anything R-SET-1 does not allow."""
    try:
        return Category(value)
    except ValueError:
        return None


class Liable(StrEnum):
    INSTITUTION = "institution"
    FUND = "fund"


class OfflineOutcome(StrEnum):
    POSTED = "posted"
    COMPENSATED = "compensated"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """When the card went on the invalid list, and in which version."""

    version: int
    at: datetime


def bears_charge(occurred_at: datetime, invalid_since: datetime | None) -> bool:
    """R-LIA-1: the holder bears a charge made before the card was reported."""
    return invalid_since is None or occurred_at < invalid_since


def liable_party(*, occurred_at: datetime, entry: ListEntry, terminal_version: int, max_lag: timedelta) -> Liable:
    """R-LIA-2: who pays for a charge on a card already on the list.

    The institution, when its terminal had the entry and charged anyway, or when the
    entry was older than the tolerated lag and the terminal still had not fetched it;
    otherwise the fund (the list had not had time to reach the terminal).
    """
    if terminal_version >= entry.version:
        return Liable.INSTITUTION
    return Liable.INSTITUTION if occurred_at - entry.at > max_lag else Liable.FUND
