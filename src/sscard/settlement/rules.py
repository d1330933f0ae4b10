"""Settlement and liability rules (R-SET, R-LIA): pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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


def in_issuing_city(issuing_region: str, institution_region: str) -> bool:
    """R-SET-5: the temporary certificate settles only in the city that issued it; a
    region's city is its first four digits (GB/T 2260)."""
    return issuing_region[:4] == institution_region[:4]


def certificate_valid_on(last_valid_day: date, today: date) -> bool:
    """R-SET-5: the temporary certificate settles through its last valid day (R-REP-4),
    a China Standard Time date."""
    return today <= last_valid_day


# R-SET-6: how far ahead of the center's clock a terminal's may run.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class OfflineTerms:
    """What an offline charge is judged against once its card's proof holds (R-SET-6)."""

    now: datetime
    card_issued_at: datetime
    upload_window: timedelta
    floor_limit: int
    newest_list_version: int


def offline_refusal(
    terms: OfflineTerms, *, pin_verified: bool, occurred_at: datetime, amount: int, list_version: int
) -> str | None:
    """R-SET-6: why a genuine offline charge is refused, or None when it may move money."""
    if not pin_verified:
        return "pin_required"
    if not offline_time_is_valid(terms, occurred_at):
        return "offline_time_invalid"
    if amount > terms.floor_limit:
        return "offline_limit_exceeded"
    if list_version > terms.newest_list_version:  # a version the center never published
        return "invalid_list_version"
    return None


def offline_time_is_valid(terms: OfflineTerms, occurred_at: datetime) -> bool:
    """R-SET-6: not ahead of now beyond the skew, not before the card was issued, and
    within the upload window — so a charge cannot be dated to before a loss report at will."""
    earliest = max(terms.card_issued_at, terms.now - terms.upload_window)
    return earliest <= occurred_at <= terms.now + CLOCK_SKEW


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


@dataclass(frozen=True, slots=True)
class ListEvent:
    """One change of the card on the invalid list, as the change log recorded it."""

    version: int
    at: datetime
    added: bool
    reason: str | None


def loss_at(history: Sequence[ListEvent], occurred_at: datetime) -> ListEntry | None:
    """The entry that put the card on the list for a loss in force at `occurred_at`.

    R-LIA-1/2 turn on the loss report, so what counts is the card's state when the
    charge was made — not now (the loss may since have been lifted) — and only a loss
    (a card damaged or expired is still its holder's own). None: the holder bears it.
    """
    opened: ListEvent | None = None
    for event in sorted(history, key=lambda e: e.version):
        if event.at > occurred_at:
            break
        opened = (opened or event) if event.added else None
    if opened is None or opened.reason != "lost":
        return None
    return ListEntry(version=opened.version, at=opened.at)


def liable_party(*, occurred_at: datetime, entry: ListEntry, terminal_version: int, max_lag: timedelta) -> Liable:
    """R-LIA-2: who pays for a charge on a card already on the list.

    The institution, when its terminal had the entry and charged anyway, or when the
    entry was older than the tolerated lag and the terminal still had not fetched it;
    otherwise the fund (the list had not had time to reach the terminal).
    """
    if terminal_version >= entry.version:
        return Liable.INSTITUTION
    return Liable.INSTITUTION if occurred_at - entry.at > max_lag else Liable.FUND
