"""People and account routes (API.md "Core resources")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from sscard.auth.roles import Role
from sscard.cards.routes import STAFF_OR_SELF, card_read
from sscard.cards.service import cards_of, require_account_bank
from sscard.http import allow
from sscard.people import service
from sscard.people.idnumber import mask_id_number
from sscard.people.models import Person
from sscard.people.schemas import BalanceRead, DepositCreate, PersonCreate, PersonRead, PostingPage, PostingRead
from sscard.people.service import NewPerson
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
