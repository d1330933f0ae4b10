"""Persons and their personal medical accounts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sscard.clock import china_date
from sscard.db import newest_first
from sscard.errors import Conflict, Declined, Invalid, NotFound
from sscard.people.idnumber import IdNumber, InvalidIdNumber, parse_id_number
from sscard.people.ledger import InsufficientBalance, PostingKind, apply_posting
from sscard.people.models import Account, Person, Posting
from sscard.people.names import InvalidName, normalise_name
from sscard.people.schemes import Scheme
from sscard.policy.regions import PROVINCE_CODES
from sscard.policy.service import get_region
from sscard.unit import Unit

PHONE_PATTERN = re.compile(r"\A\+?[0-9][0-9-]{4,18}\Z")


@dataclass(frozen=True, slots=True)
class NewPerson:
    """What a clerk enters to register an insured person."""

    id_number: str
    name: str
    region: str
    scheme: Scheme
    unit_name: str | None = None
    phone: str | None = None
    language: str = "zh-CN"


def register_person(unit: Unit, new: NewPerson) -> Person:
    """Register an insured person with an empty personal account (R-ACC-1)."""
    get_region(unit.session, new.region)
    unit.actor.require_region(new.region)
    id_number = _valid_id_number(unit, new.id_number)
    person = Person(
        id_number=id_number.value,
        name=_valid_name(new.name),
        birth_date=id_number.birth_date,
        region_code=new.region,
        scheme=new.scheme.value,
        unit_name=(new.unit_name or "").strip() or None,
        phone=_valid_phone(new.phone),
        language=new.language,
        created_at=unit.now,
    )
    _refuse_duplicate(unit, person.id_number)
    unit.session.add(person)
    try:
        with unit.session.begin_nested():
            unit.session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise _person_exists() from exc
    unit.session.add(Account(person_id=person.id, balance=0, updated_at=unit.now))
    unit.session.flush()
    unit.audit("person.register", ("person", person.id), person.region_code, scheme=person.scheme)
    return person


def _valid_id_number(unit: Unit, raw: str) -> IdNumber:
    try:
        return parse_id_number(raw, today=china_date(unit.now), known_provinces=PROVINCE_CODES)
    except InvalidIdNumber as exc:
        raise Invalid(
            "invalid_id_number", f"not a valid resident ID number: {exc}", field="id_number", reason=exc.reason
        ) from exc


def _valid_name(raw: str) -> str:
    try:
        return normalise_name(raw)
    except InvalidName as exc:
        raise Invalid("invalid_name", str(exc), field="name") from exc


def _valid_phone(raw: str | None) -> str | None:
    phone = (raw or "").replace(" ", "") or None
    if phone is not None and not PHONE_PATTERN.match(phone):
        raise Invalid("invalid_phone", "a phone number is 5 to 19 digits", field="phone")
    return phone


def _refuse_duplicate(unit: Unit, id_number: str) -> None:
    if unit.session.scalar(select(Person.id).where(Person.id_number == id_number)) is not None:
        raise _person_exists()


def _person_exists() -> Conflict:
    return Conflict("person_exists", "a person with this ID number is already registered")


def find_person(unit: Unit, person_id: int) -> Person:
    """A person the caller may see: staff in scope, or the person themself."""
    person = unit.session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    unit.actor.require_person(person.id, person.region_code)
    return person


def pay_out(unit: Unit, person_id: int, *, ref: str, payee: str) -> int:
    """R-CARD-5: pay the whole balance (held money included) to the payee and close the
    account; the amount paid."""
    account = unit.session.scalars(select(Account).where(Account.person_id == person_id).with_for_update()).one()
    amount, account.held = account.balance, 0
    if amount:
        post(unit, person_id, -amount, PostingKind.PAYOUT, ref=ref, memo=f"paid to {payee}")
    account.closed_at = unit.now
    return amount


def account_of(unit: Unit, person_id: int) -> Account:
    """The person's account as it stands in this transaction."""
    return unit.session.get_one(Account, person_id)


def post(
    unit: Unit, person_id: int, amount: int, kind: PostingKind, *, ref: str | None = None, memo: str | None = None
) -> Posting:
    """Move money on a personal account under its row lock (R-ACC-1).

    The account row is read FOR UPDATE, so concurrent postings to one account queue
    and each sees the balance the previous one left; 402 insufficient_balance.
    """
    account = unit.session.scalars(select(Account).where(Account.person_id == person_id).with_for_update()).one()
    if account.closed_at is not None:
        raise Conflict("account_closed", "this account was closed when its card was cancelled (R-CARD-5)")
    try:
        account.balance = apply_posting(account.balance, amount, account.held)
    except InsufficientBalance as exc:
        raise Declined("insufficient_balance", str(exc), balance=exc.balance) from exc
    account.updated_at = unit.now
    posting = Posting(
        person_id=person_id,
        amount=amount,
        balance_after=account.balance,
        kind=kind.value,
        ref=ref,
        memo=memo,
        at=unit.now,
    )
    unit.session.add(posting)
    unit.session.flush()
    return posting


def deposit(unit: Unit, person_id: int, amount: int, memo: str | None) -> int:
    """A contribution credited to the account by an admin or the holder's bank
    (the caller checks that bank: cards.service.require_account_bank)."""
    person = find_person(unit, person_id)
    posting = post(unit, person.id, amount, PostingKind.DEPOSIT, memo=memo)
    unit.audit("account.deposit", ("person", person.id), person.region_code, amount=amount)
    return posting.balance_after


def postings_page(unit: Unit, person_id: int, before: int | None, limit: int) -> tuple[Sequence[Posting], int | None]:
    """Postings newest first, and the cursor for the next page (None at the end)."""
    person = find_person(unit, person_id)
    return newest_first(unit.session, select(Posting).where(Posting.person_id == person.id), Posting.id, before, limit)
