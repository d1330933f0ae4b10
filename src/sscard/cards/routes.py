"""Card routes (API.md "Core resources")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status

from sscard.cards import service
from sscard.cards.models import Card, CardTransition
from sscard.cards.schemas import (
    Activation,
    CardDetail,
    CardHistory,
    CardIssue,
    CardRead,
    Empty,
    OpenReplacementRead,
    PersonalizationRead,
    PinChange,
    TransitionRead,
)
from sscard.clock import china_date
from sscard.http import allow
from sscard.loss.queue import open_replacement_of
from sscard.loss.rules import replacement_status
from sscard.roles import Role
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["cards"])

STAFF_OR_SELF = allow(Role.ADMIN, Role.CLERK, Role.OPERATOR, Role.BANK, Role.AUDITOR, Role.CARDHOLDER, read_only=True)


def card_read(card: Card) -> CardRead:
    """The API view of a card."""
    return CardRead(
        card_no=card.card_no,
        person_id=card.person_id,
        status=card.status,
        bank=card.bank,
        region=card.region_code,
        pin_locked=card.pin_locked_at is not None,
        replaced_by=card.replaced_by,
        replacement_for=card.replacement_for,
        issued_at=card.issued_at,
        activated_at=card.activated_at,
        valid_until=card.valid_until,
        expired=card.expired_at is not None,
    )


def _transition_read(row: CardTransition) -> TransitionRead:
    return TransitionRead(
        from_=row.from_status, to=row.to_status, reason=row.reason, channel=row.channel, actor=row.actor, at=row.at
    )


@router.post("/persons/{person_id}/cards", status_code=status.HTTP_201_CREATED)
def issue_card(person_id: int, body: CardIssue, unit: Annotated[Unit, Depends(allow(Role.CLERK))]) -> CardRead:
    """Issue a person's card (unactivated); 409 card_exists while one stands."""
    return card_read(service.issue_card(unit, person_id, body.bank))


@router.get("/cards/{card_no}")
def get_card(card_no: str, unit: Annotated[Unit, Depends(STAFF_OR_SELF)]) -> CardDetail:
    """A card's state, and the replacement applied for it that is not yet collected."""
    card = service.find_card(unit, card_no)
    return CardDetail(**card_read(card).model_dump(), open_replacement=_open_replacement(unit, card))


def _open_replacement(unit: Unit, card: Card) -> OpenReplacementRead | None:
    row = open_replacement_of(unit, card)
    if row is None:
        return None
    status = replacement_status(ready_on=row.ready_on, today=china_date(unit.now), collected=False)
    return OpenReplacementRead(replacement_id=row.id, new_card_no=row.new_card_no, status=status, ready_on=row.ready_on)


@router.get("/cards/{card_no}/history")
def card_history(card_no: str, unit: Annotated[Unit, Depends(STAFF_OR_SELF)]) -> CardHistory:
    """Every transition of the card, oldest first."""
    return CardHistory(items=[_transition_read(t) for t in service.history(unit, card_no)])


@router.get("/cards/{card_no}/personalization")
def personalization(
    card_no: str, response: Response, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]
) -> PersonalizationRead:
    """The card's key for the card producer (R-SET-6): admin only, audited."""
    key = service.personalization(unit, card_no)
    response.headers["Cache-Control"] = "no-store"
    return PersonalizationRead(card_no=card_no, card_key=key.hex())


@router.post("/cards/{card_no}/activate")
def activate_card(
    card_no: str, body: Activation, unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.BANK, Role.CARDHOLDER))]
) -> CardRead:
    """Activate the card with a six-digit PIN."""
    card = service.activate(unit, card_no, body.pin)
    return card_read(card)


@router.put("/cards/{card_no}/pin", status_code=status.HTTP_204_NO_CONTENT)
def change_pin(
    card_no: str, body: PinChange, unit: Annotated[Unit, Depends(allow(Role.CARDHOLDER, Role.BANK))]
) -> Response:
    """Change the PIN; 403 pin_incorrect for a wrong old PIN (it counts toward the lock)."""
    service.change_pin(unit, card_no, body.old_pin, body.new_pin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/cards/{card_no}/pin/unlock")
def unlock_pin(
    card_no: str,
    unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.BANK))],
    _: Annotated[Empty | None, Body()] = None,
) -> CardRead:
    """Clear a PIN lock."""
    return card_read(service.unlock_pin(unit, card_no))
