"""Which cards are on the invalid list, and why (R-INV-1): pure."""

from __future__ import annotations

from enum import StrEnum

from sscard.cards.states import CardStatus


class ListReason(StrEnum):
    LOST = "lost"
    DAMAGED = "damaged"
    DEMAGNETIZED = "demagnetized"
    EXPIRED = "expired"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class Op(StrEnum):
    ADD = "add"
    REMOVE = "remove"


BY_STATUS = {
    CardStatus.PROVISIONAL_LOSS: ListReason.LOST,
    CardStatus.LOST: ListReason.LOST,
    CardStatus.REPLACED: ListReason.REPLACED,
    CardStatus.CANCELLED: ListReason.CANCELLED,
}
# A replacement applied for because the card no longer works makes it invalid at once.
BY_REPLACEMENT_REASON = {
    "damaged": ListReason.DAMAGED,
    "demagnetized": ListReason.DEMAGNETIZED,
    "expired": ListReason.EXPIRED,
}


def listing(status: CardStatus, replacement_reason: str | None, *, expired: bool = False) -> ListReason | None:
    """R-INV-1: why a card is on the list, or None when it may settle.

    A lifted loss takes the card off again; the card's own state wins over the reason
    a replacement was applied for, and both over its age (R-CARD-4).
    """
    if status in BY_STATUS:
        return BY_STATUS[status]
    if replacement_reason is not None and replacement_reason in BY_REPLACEMENT_REASON:
        return BY_REPLACEMENT_REASON[replacement_reason]
    return ListReason.EXPIRED if expired else None


def change_for(current: ListReason | None, wanted: ListReason | None) -> tuple[Op, ListReason | None] | None:
    """The change to append to move a card from `current` to `wanted`, if any."""
    if wanted == current:
        return None
    if wanted is None:
        return Op.REMOVE, current
    return Op.ADD, wanted
