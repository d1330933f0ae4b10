"""What every counter page shares: who may call it, one unit of work, the result page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import Response

from sscard.cards.models import Card
from sscard.cards.service import find_card
from sscard.db import transaction
from sscard.errors import NotFound, ServiceError
from sscard.http import runtime, unit_for
from sscard.people.idnumber import mask_id_number
from sscard.people.models import Person
from sscard.people.service import find_person
from sscard.roles import Principal, Role
from sscard.unit import Unit
from sscard.web.access import page_caller
from sscard.web.counter.forms import CounterForm
from sscard.web.pages import FormErrors, language_of, refusal_errors, render

T = TypeVar("T")
Counter = Annotated[Principal, Depends(page_caller(Role.CLERK, Role.OPERATOR, Role.BANK))]
Outlet = Annotated[Principal, Depends(page_caller(Role.CLERK, Role.BANK))]
Clerk = Annotated[Principal, Depends(page_caller(Role.CLERK))]


def in_unit(request: Request, caller: Principal, work: Callable[[Unit], T]) -> T:
    """Run the work in one unit of work of the caller: committed when it returns."""
    with transaction(runtime(request).sessions) as db:
        return work(unit_for(request, db, caller))


def shown_id_number(unit: Unit, person: Person) -> str:
    """The full ID number for a role that needs it, else masked (API.md Conventions)."""
    return person.id_number if unit.actor.sees_full_id_number() else mask_id_number(person.id_number)


def refused(request: Request, exc: ServiceError) -> Response:
    """A page that cannot be shown at all: the refusal in words."""
    errors = refusal_errors(language_of(request), exc, {})
    return render(request, "refused.html", {"errors": errors}, status=exc.status)


def page(
    request: Request,
    caller: Principal,
    template: str,
    build: Callable[[Unit], dict[str, Any]],
    *,
    form: CounterForm | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    """A page whose view is built in one unit of work, or the refusal in words when it
    cannot be shown; with `form` and `errors`, shown again as it was filled in."""
    try:
        view = in_unit(request, caller, build)
    except ServiceError as exc:
        return refused(request, exc)
    if form is not None:
        view["form"] = form.values()
    if errors is not None:
        view["errors"] = errors
    return render(request, template, view, status=status)


def card_of(unit: Unit, person_id: int, card_no: str) -> tuple[Person, Card]:
    """The person and their card, as the caller may see them; 404 for another's card."""
    person = find_person(unit, person_id)
    card = find_card(unit, card_no)
    if card.person_id != person.id:
        raise NotFound(f"no card {card_no} of person {person_id}")
    return person, card


def result(
    request: Request,
    person_id: int,
    lines: list[str],
    next_steps: list[str],
    *,
    links: list[tuple[str, str]] | None = None,
) -> Response:
    """What happened and what comes next, with the documents to print as (label, href)."""
    context: dict[str, Any] = {
        "lines": lines,
        "next_steps": next_steps,
        "person_id": person_id,
        "links": links or [],
    }
    return render(request, "result.html", context)
