"""The card's life as a state machine (R-CARD-1): a table, and nothing else decides."""

from __future__ import annotations

from enum import StrEnum


class CardStatus(StrEnum):
    UNACTIVATED = "unactivated"
    ACTIVE = "active"
    PROVISIONAL_LOSS = "provisional_loss"
    LOST = "lost"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class CardEvent(StrEnum):
    ACTIVATE = "activate"
    REPORT_PROVISIONAL_LOSS = "report_provisional_loss"
    REPORT_FORMAL_LOSS = "report_formal_loss"
    LIFT_LOSS = "lift_loss"
    REPLACE = "replace"
    CANCEL = "cancel"


S, E = CardStatus, CardEvent

# R-CARD-1. A never-activated card can be lost too (R-CARD-2 "not yet activated"), and
# a lift returns it to where it was (see lift_target). A formal report can follow a
# provisional one or stand alone (made in person at the counter); either loss can be
# lifted while no replacement exists (R-LOSS-5).
TRANSITIONS: dict[tuple[CardStatus, CardEvent], CardStatus] = {
    (S.UNACTIVATED, E.ACTIVATE): S.ACTIVE,
    (S.UNACTIVATED, E.REPORT_PROVISIONAL_LOSS): S.PROVISIONAL_LOSS,
    (S.UNACTIVATED, E.REPORT_FORMAL_LOSS): S.LOST,
    (S.ACTIVE, E.REPORT_PROVISIONAL_LOSS): S.PROVISIONAL_LOSS,
    (S.ACTIVE, E.REPORT_FORMAL_LOSS): S.LOST,
    (S.PROVISIONAL_LOSS, E.REPORT_FORMAL_LOSS): S.LOST,
    (S.PROVISIONAL_LOSS, E.LIFT_LOSS): S.ACTIVE,
    (S.LOST, E.LIFT_LOSS): S.ACTIVE,
    (S.ACTIVE, E.REPLACE): S.REPLACED,
    (S.PROVISIONAL_LOSS, E.REPLACE): S.REPLACED,
    (S.LOST, E.REPLACE): S.REPLACED,
    **{(status, E.CANCEL): S.CANCELLED for status in S if status not in (S.REPLACED, S.CANCELLED)},
}

FINAL = frozenset({S.REPLACED, S.CANCELLED})
# A card that still stands for its holder: while one exists no other card is issued
# (R-CARD-1 "at most one card of a person is usable at a time"); a lost one is
# followed by a replacement, not by a second card.
LIVE = frozenset(set(S) - FINAL)


class TransitionRefused(Exception):
    """The table has no arrow for this event from this status."""

    def __init__(self, status: CardStatus, event: CardEvent) -> None:
        super().__init__(f"a card that is {status} cannot {event.replace('_', ' ')}")
        self.status = status
        self.event = event


def next_status(status: CardStatus, event: CardEvent, *, activated: bool = True) -> CardStatus:
    """Where `event` takes a card in `status`; raises TransitionRefused."""
    target = TRANSITIONS.get((status, event))
    if target is None:
        raise TransitionRefused(status, event)
    if event is E.LIFT_LOSS and not activated:
        return S.UNACTIVATED
    return target


def allowed_events(status: CardStatus) -> frozenset[CardEvent]:
    """Every event the table allows from a status."""
    return frozenset(event for (source, event) in TRANSITIONS if source is status)
