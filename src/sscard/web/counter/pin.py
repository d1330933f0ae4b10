"""Unlocking a PIN locked after too many wrong tries (R-CARD-3): at an outlet or the card's bank.

The holder is there with their ID card (the rule's "at an outlet"): the clerk confirms
the ID number they checked, and the unlock clears the count of wrong tries."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sscard.cards.service import unlock_pin
from sscard.errors import Refused, ServiceError
from sscard.unit import Unit
from sscard.web.access import CsrfChecked
from sscard.web.counter.common import Outlet, card_of, in_unit, refused, result
from sscard.web.pages import language_of, refusal_errors, render
from sscard.web.texts import text

router = APIRouter(prefix="/counter")


@router.get("/persons/{person_id}/cards/{card_no}/pin-unlock")
def unlock_form(request: Request, caller: Outlet, person_id: int, card_no: str) -> Response:
    """The unlock form: the holder's ID card, checked."""
    try:
        person = in_unit(request, caller, lambda unit: card_of(unit, person_id, card_no)[0].name)
    except ServiceError as exc:
        return refused(request, exc)
    context = {"person_id": person_id, "card_no": card_no, "holder": person, "form": {}}
    return render(request, "pin_unlock_form.html", context)


@router.post("/persons/{person_id}/cards/{card_no}/pin-unlock")
def unlock(
    request: Request,
    caller: Outlet,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    id_number: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Clear the PIN lock, as POST /v1/cards/{card_no}/pin/unlock does."""
    language = language_of(request)

    def work(unit: Unit) -> tuple[str, str]:
        person, card = card_of(unit, person_id, card_no)
        if not hmac.compare_digest(id_number.strip().upper().encode(), person.id_number.encode()):
            raise Refused("identity_mismatch", "the ID number does not match the holder", field="id_number")
        return person.name, unlock_pin(unit, card.card_no).card_no

    try:
        holder, unlocked = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, {"identity_mismatch": "id_number", "*": "summary"})
        context = {"person_id": person_id, "card_no": card_no, "holder": "", "form": {"id_number": id_number}}
        return render(request, "pin_unlock_form.html", context | {"errors": errors}, status=exc.status)
    lines = [text(language, "counter.pin_unlocked", card_no=unlocked)]
    return result(request, person_id, lines, [text(language, "counter.pin_unlocked.next", holder=holder)])
