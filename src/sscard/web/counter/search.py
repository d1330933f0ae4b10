"""Finding a person (R-FIND-1): one field, read the way the API's query reads it."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sscard.cards.numbers import is_card_no
from sscard.find import service as search_service
from sscard.find.rules import SearchRefused, choose_search
from sscard.people.models import Person
from sscard.unit import Unit
from sscard.web.counter.common import Counter, in_unit, shown_id_number
from sscard.web.pages import FormErrors, language_of, render
from sscard.web.texts import text

router = APIRouter(prefix="/counter")

ID_NUMBER = re.compile(r"\A(?:[0-9]{17}[0-9Xx]|[0-9]{15})\Z")
PHONE = re.compile(r"\A\+?[0-9][0-9 -]{4,18}\Z")


def _search_fields(query: str, birth_date: str) -> dict[str, Any]:
    """The one search field a clerk types into, read as the API's query parameters."""
    value = query.strip()
    if ID_NUMBER.match(value):
        return {"id_number": value.upper()}
    if is_card_no(value):
        return {"card_no": value}
    if PHONE.match(value):
        return {"phone": value.replace(" ", "")}
    born = date.fromisoformat(birth_date) if birth_date else None
    return {"name": value, "birth_date": born}


@router.get("")
def search(request: Request, caller: Counter, q: str | None = None, birth_date: str = "") -> Response:
    """The search form and, when asked, who it finds."""
    language, errors = language_of(request), FormErrors()
    context: dict[str, Any] = {"q": q or "", "birth_date": birth_date, "results": None}
    if q is None:
        return render(request, "search.html", context)
    if not q.strip():
        errors.add("q", text(language, "error.search_empty"))
        return render(request, "search.html", context | {"errors": errors}, status=422)
    try:
        found = choose_search(**_search_fields(q, birth_date))
    except (SearchRefused, ValueError):  # one way at a time, or a birth date that is no date
        errors.add("birth_date", text(language, "error.search_birth_date"))
        return render(request, "search.html", context | {"errors": errors}, status=422)

    def people(unit: Unit) -> list[dict[str, Any]]:
        page, _ = search_service.search_persons(unit, found, None, 20)
        return [_person_summary(unit, p) for p in page]

    return render(request, "search.html", context | {"results": in_unit(request, caller, people)})


def _person_summary(unit: Unit, person: Person) -> dict[str, Any]:
    shown = shown_id_number(unit, person)
    return {"id": person.id, "name": person.name, "id_number": shown, "region": person.region_code}
