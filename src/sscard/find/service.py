"""Finding persons (R-FIND-1): each way of searching is one indexed statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select

from sscard.cards.models import Card
from sscard.find.rules import PersonSearch, Way
from sscard.people.models import Person
from sscard.policy.regions import scope_prefix
from sscard.roles import Principal, Role
from sscard.unit import Unit


def search_persons(
    unit: Unit, search: PersonSearch, after: int | None, limit: int
) -> tuple[Sequence[Person], int | None]:
    """The persons a search finds that the caller may see, by id, and the next page's cursor."""
    rows = unit.session.scalars(search_statement(unit.actor, search, after, limit)).all()
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)


def search_statement(actor: Principal, search: PersonSearch, after: int | None, limit: int) -> Select[Person]:
    """The SELECT a search runs: one more row than the page, to tell whether another follows."""
    stmt = select(Person).where(_found_by(search), *_visible_to(actor))
    if after is not None:
        stmt = stmt.where(Person.id > after)
    return stmt.order_by(Person.id).limit(limit + 1)


def _found_by(search: PersonSearch) -> ColumnElement[bool]:
    if search.way is Way.ID_NUMBER:
        return Person.id_number == search.value
    if search.way is Way.PHONE:
        return Person.phone == search.value
    if search.way is Way.NAME:
        return (Person.name == search.value) & (Person.birth_date == search.birth_date)
    # R-FIND-1: an old (replaced, cancelled) card keeps its number and its holder.
    return Person.id == select(Card.person_id).where(Card.card_no == search.value).scalar_subquery()


def _visible_to(actor: Principal) -> list[ColumnElement[Any]]:
    # Out of scope is simply not found: an error would tell that the person exists.
    criteria: list[ColumnElement[Any]] = []
    if prefix := scope_prefix(actor.region):
        criteria.append(Person.region_code.startswith(prefix, autoescape=True))
    if actor.role is Role.BANK:
        criteria.append(exists().where(Card.person_id == Person.id, Card.bank == actor.bank))
    return criteria
