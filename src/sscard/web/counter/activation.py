"""Activating a card with the PIN its holder types on the PIN pad (R-CARD-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sscard.cards.pin import is_pin
from sscard.cards.service import activate
from sscard.errors import ServiceError
from sscard.unit import Unit
from sscard.web.access import CsrfChecked
from sscard.web.counter.common import Outlet, card_of, in_unit, refused, result
from sscard.web.pages import FormErrors, language_of, refusal_errors, render
from sscard.web.texts import text

router = APIRouter(prefix="/counter")


@router.get("/persons/{person_id}/cards/{card_no}/activation")
def activation_form(request: Request, caller: Outlet, person_id: int, card_no: str) -> Response:
    """The activation form: the PIN the holder types, masked."""
    try:
        in_unit(request, caller, lambda unit: card_of(unit, person_id, card_no))
    except ServiceError as exc:
        return refused(request, exc)
    return render(request, "activate_form.html", {"person_id": person_id, "card_no": card_no})


@router.post("/persons/{person_id}/cards/{card_no}/activation")
def activate_card(
    request: Request,
    caller: Outlet,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    pin: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Activate the card with the holder's PIN, as POST /v1/cards/{card_no}/activate does."""
    language = language_of(request)
    context = {"person_id": person_id, "card_no": card_no}
    if not is_pin(pin):  # the API's schema refuses it the same way (422)
        errors = FormErrors()
        errors.add("pin", text(language, "error.invalid_pin"))
        return render(request, "activate_form.html", context | {"errors": errors}, status=422)

    def work(unit: Unit) -> str:
        card_of(unit, person_id, card_no)
        return activate(unit, card_no, pin).card_no

    try:
        activated = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, {"*": "summary"})
        return render(request, "activate_form.html", context | {"errors": errors}, status=exc.status)
    lines = [text(language, "result.activate", card_no=activated)]
    return result(request, person_id, lines, [text(language, "result.activate.next")])
