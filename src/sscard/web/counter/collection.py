"""Collecting the new card against the ID number and the collection certificate (R-REP-4, R-REP-5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sscard.errors import ServiceError
from sscard.loss import replacement
from sscard.unit import Unit
from sscard.web.access import CsrfChecked
from sscard.web.counter.common import Outlet, in_unit, refused, result
from sscard.web.pages import language_of, refusal_errors, render
from sscard.web.texts import text

router = APIRouter(prefix="/counter")

COLLECT_FIELDS = {"certificate_mismatch": "certificate_no"}


@router.get("/replacements/{replacement_id}/collect")
def collect_form(request: Request, caller: Outlet, replacement_id: int) -> Response:
    """The collection form: the holder's ID number and the certificate's number."""
    try:
        person_id = in_unit(request, caller, lambda unit: replacement.find_replacement(unit, replacement_id).person_id)
    except ServiceError as exc:
        return refused(request, exc)
    context = {"replacement_id": replacement_id, "person_id": person_id, "form": {}}
    return render(request, "collect_form.html", context)


@router.post("/replacements/{replacement_id}/collect")
def collect(
    request: Request,
    caller: Outlet,
    _: CsrfChecked,
    replacement_id: int,
    id_number: Annotated[str, Form(max_length=32)] = "",
    certificate_no: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Hand over the new card, as POST /v1/replacements/{id}/collect does."""
    language = language_of(request)

    def work(unit: Unit) -> tuple[int, str, str]:
        new, old = replacement.collect(unit, replacement_id, id_number, certificate_no)
        return new.person_id, new.card_no, old.card_no

    try:
        person_id, new_no, old_no = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, COLLECT_FIELDS)
        context = {
            "replacement_id": replacement_id,
            "person_id": None,
            "form": {"id_number": id_number, "certificate_no": certificate_no},
            "errors": errors,
        }
        return render(request, "collect_form.html", context, status=exc.status)
    lines = [text(language, "result.collect", new_card_no=new_no, old_card_no=old_no)]
    return result(request, person_id, lines, [text(language, "result.collect.next")])
