"""People and account routes (API.md "Core resources")."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from sscard.cards.routes import STAFF_OR_SELF, card_read
from sscard.cards.service import cards_of, require_account_bank
from sscard.errors import Invalid
from sscard.find import service as search_service
from sscard.find.rules import PersonSearch, SearchRefused, choose_search
from sscard.find.schemas import PersonPage, PersonRead
from sscard.http import allow
from sscard.people import service
from sscard.people.idnumber import mask_id_number
from sscard.people.models import Person
from sscard.people.schemas import (
    BalanceRead,
    DepositCreate,
    PersonCreate,
    PostingPage,
    PostingRead,
)
from sscard.people.service import NewPerson
from sscard.roles import STAFF, Role
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["people"])


def person_read(unit: Unit, person: Person, *, with_cards: bool = True) -> PersonRead:
    """The API view of a person; the ID number masked unless the role needs it."""
    id_number = person.id_number if unit.actor.sees_full_id_number() else mask_id_number(person.id_number)
    cards = [card_read(c) for c in cards_of(unit, person.id)] if with_cards else []
    account = service.account_of(unit, person.id)
    return PersonRead(
        person_id=person.id,
        id_number=id_number,
        name=person.name,
        region=person.region_code,
        scheme=person.scheme,
        unit_name=person.unit_name,
        phone=person.phone,
        language=person.language,
        balance=account.balance,
        held=account.held,
        created_at=person.created_at,
        cards=cards,
    )


@router.post("/persons", status_code=status.HTTP_201_CREATED)
def register_person(body: PersonCreate, unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.ADMIN))]) -> PersonRead:
    """Register an insured person; 422 invalid_id_number, 409 person_exists."""
    person = service.register_person(unit, NewPerson(**body.model_dump()))
    return person_read(unit, person, with_cards=False)


def _search(
    id_number: Annotated[str | None, Query(max_length=32)] = None,
    card_no: Annotated[str | None, Query(max_length=32)] = None,
    phone: Annotated[str | None, Query(max_length=24)] = None,
    name: Annotated[str | None, Query(max_length=60)] = None,
    birth_date: Annotated[date | None, Query(description="YYYY-MM-DD, with name")] = None,
) -> PersonSearch:
    """The one way a request searches by (R-FIND-1); 422 invalid_request naming the fields at fault."""
    try:
        return choose_search(id_number=id_number, card_no=card_no, phone=phone, name=name, birth_date=birth_date)
    except SearchRefused as exc:
        errors = [{"field": field, "message": str(exc)} for field in exc.fields]
        raise Invalid(
            "invalid_request", "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        ) from exc


@router.get("/persons")
def search_persons(
    unit: Annotated[Unit, Depends(allow(*STAFF, read_only=True))],
    search: Annotated[PersonSearch, Depends(_search)],
    cursor: Annotated[int | None, Query(ge=1, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PersonPage:
    """Find persons by ID number, card number (current or old), phone, or name with birth date;
    only those within the caller's scope (a bank: holders of its cards)."""
    page, after = search_service.search_persons(unit, search, cursor, limit)
    return PersonPage(items=[person_read(unit, p) for p in page], next=str(after) if after is not None else None)


@router.get("/persons/{person_id}")
def get_person(person_id: int, unit: Annotated[Unit, Depends(STAFF_OR_SELF)]) -> PersonRead:
    """A person with balance and cards."""
    return person_read(unit, service.find_person(unit, person_id))


@router.post("/persons/{person_id}/deposits", status_code=status.HTTP_201_CREATED)
def deposit(
    person_id: int, body: DepositCreate, unit: Annotated[Unit, Depends(allow(Role.ADMIN, Role.BANK))]
) -> BalanceRead:
    """Credit the personal account."""
    require_account_bank(unit, service.find_person(unit, person_id).id)
    return BalanceRead(balance=service.deposit(unit, person_id, body.amount, body.memo))


@router.get("/persons/{person_id}/postings")
def postings(
    person_id: int,
    unit: Annotated[Unit, Depends(STAFF_OR_SELF)],
    cursor: Annotated[int | None, Query(ge=1, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PostingPage:
    """The account's postings, newest first."""
    page, after = service.postings_page(unit, person_id, cursor, limit)
    return PostingPage(
        items=[PostingRead.model_validate(p) for p in page], next=str(after) if after is not None else None
    )
