"""A pharmacy's terminals charging cards through a fault, and what must hold after it.

Each terminal charges in a loop as a real one would: a new Idempotency-Key per charge,
and on a 503 the same request again after its Retry-After, until it gets an answer.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
from sqlalchemy import func, select

from sscard.cards.service import activate, issue_card
from sscard.institutions.service import NewInstitution, add_terminal, register_institution
from sscard.people.ledger import PostingKind
from sscard.people.models import Account, Posting
from sscard.people.schemes import Scheme
from sscard.people.service import NewPerson, post, register_person
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.settlement.models import Settlement
from sscard.terminal.card import SoftwareCard
from sscard.unit import Unit
from tests import factories
from tests.concurrency import in_unit

PIN = "246810"
ADMIN = Principal("admin.faults", Role.ADMIN)
TERMINALS, CARDS = 8, 4
PRICE = 100
# One card holds three charges: its terminals meet 402 insufficient_balance too.
OPENINGS = (1_000_000, 1_000_000, 1_000_000, 3 * PRICE)
# A terminal's patience with one charge: far longer than any fault here lasts.
GIVE_UP_SECONDS = 30.0
ANSWERS_EXPECTED = frozenset({201, 402, 503})


@dataclass(frozen=True)
class Shop:
    """A designated pharmacy's terminals and the cards they charge."""

    terminals: tuple[Principal, ...]
    cards: tuple[str, ...]


def open_shop(rt: Runtime) -> Shop:
    """The pharmacy, its terminals, and funded active cards, committed."""

    def work(unit: Unit) -> Shop:
        pharmacy = register_institution(unit, NewInstitution("夜班大药房", "pharmacy", "110101", designated=True))
        terminals = []
        for _ in range(TERMINALS):
            terminal, _secret = add_terminal(unit, pharmacy.id)
            terminals.append(Principal(terminal.terminal_id, Role.TERMINAL, "110101", institution_id=pharmacy.id))
        cards = []
        for opening in OPENINGS:
            person = register_person(unit, NewPerson(factories.id_number(), "夜班", "110101", Scheme.EMPLOYEE))
            card = issue_card(unit, person.id, "ICBC")
            activate(unit, card.card_no, PIN)
            post(unit, person.id, opening, PostingKind.DEPOSIT)
            cards.append(card.card_no)
        return Shop(tuple(terminals), tuple(cards))

    return in_unit(rt, ADMIN, work)


@dataclass
class Answer:
    """One HTTP answer to one attempt (status None: the connection itself failed)."""

    status: int | None
    code: str | None
    body: dict[str, Any]
    retry_after: str | None
    at: float


@dataclass
class Charge:
    """One charge: its key and every answer its attempts got, the last one final."""

    key: str
    terminal: Principal
    card_no: str
    answers: list[Answer] = field(default_factory=list)

    @property
    def final(self) -> Answer:
        """The answer the terminal kept."""
        return self.answers[-1]


@dataclass
class Night:
    """What the terminals saw during one run."""

    charges: list[Charge]
    fault_started: float = 0.0
    fault_ended: float = 0.0

    def answers(self) -> list[Answer]:
        """Every answer to every attempt."""
        return [answer for charge in self.charges for answer in charge.answers]

    def measured(self) -> dict[str, Any]:
        """The figures a report quotes: 503s by code, their Retry-After, time to recover."""
        outages = sorted((a for a in self.answers() if a.status == 503), key=lambda a: a.at)
        after = [a.at for a in self.answers() if a.status == 201 and a.at >= self.fault_ended]
        codes: dict[str, int] = {}
        for answer in outages:
            codes[answer.code or "?"] = codes.get(answer.code or "?", 0) + 1
        return {
            "charges": len(self.charges),
            "acknowledged": sum(1 for c in self.charges if c.final.status == 201),
            "declined": sum(1 for c in self.charges if c.final.status == 402),
            "503": codes,
            "retry_after": sorted({a.retry_after for a in outages if a.retry_after}),
            "fault_s": round(self.fault_ended - self.fault_started, 2),
            "503s_from_to_s": [
                round(outages[0].at - self.fault_started, 2),
                round(outages[-1].at - self.fault_started, 2),
            ]
            if outages
            else None,
            "first_201_after_fault_ended_s": round(min(after) - self.fault_ended, 2) if after else None,
        }


def charge_body(card_no: str) -> dict[str, Any]:
    """What a terminal sends for one charge."""
    return {"amount": PRICE, "category": "drug", "card_no": card_no, "pin": PIN}


def offline_upload(chip: SoftwareCard, terminal: Principal, local_id: str) -> dict[str, Any]:
    """What a terminal uploads for one charge it has just made offline, with the card's
    counter and cryptogram (R-SET-6: not before the card was issued, at the suite's start)."""
    occurred_at = datetime.now(UTC).isoformat()
    proof = chip.sign(amount=PRICE, category="drug", occurred_at=occurred_at, terminal_id=terminal.subject)
    charge = {"local_id": local_id, "card_no": chip.card_no, "amount": PRICE, "category": "drug"}
    return {"transactions": [charge | {"occurred_at": occurred_at, "list_version": 0} | proof]}


def charge_until_answered(client: httpx2.Client, base: str, headers: dict[str, str], charge: Charge) -> Charge:
    """One charge, retried with its key on every 503 as Retry-After says."""
    key, body = charge.key, charge_body(charge.card_no)
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < give_up:
        try:
            response = client.post(f"{base}/v1/settlements", json=body, headers=headers | {"Idempotency-Key": key})
        except httpx2.TransportError as exc:
            charge.answers.append(Answer(None, type(exc).__name__, {}, None, time.monotonic()))
            time.sleep(0.2)
            continue
        answer = Answer(
            response.status_code,
            response.json().get("code"),
            response.json(),
            response.headers.get("retry-after"),
            time.monotonic(),
        )
        charge.answers.append(answer)
        if response.status_code != 503:
            break
        time.sleep(float(answer.retry_after or 1))
    return charge


@contextmanager
def terminals_charging(base: str, shop: Shop, headers: Callable[[Principal], dict[str, str]]) -> Iterator[Night]:
    """Every terminal charging its card in a loop until the block ends; then each
    finishes the charge in hand (retrying it until answered)."""
    night = Night([])
    stop = threading.Event()
    run = uuid.uuid4().hex[:8]  # every night's keys are its own
    lock = threading.Lock()

    def terminal_loop(index: int, terminal: Principal) -> None:
        card_no = shop.cards[index % len(shop.cards)]
        sent = headers(terminal)
        with httpx2.Client(timeout=httpx2.Timeout(15.0)) as client:
            number = 0
            while not stop.is_set():
                number += 1
                charge = Charge(f"{terminal.subject}-{run}-{number}", terminal, card_no)
                charge_until_answered(client, base, sent, charge)
                with lock:
                    night.charges.append(charge)
                time.sleep(0.02)

    threads = [threading.Thread(target=terminal_loop, args=(i, t)) for i, t in enumerate(shop.terminals)]
    for thread in threads:
        thread.start()
    try:
        yield night
    finally:
        stop.set()
        for thread in threads:
            thread.join(GIVE_UP_SECONDS + 15)


def settlements(rt: Runtime) -> dict[str, set[int]]:
    """The settlements the database holds, their IDs by status (approved, declined)."""

    def work(unit: Unit) -> dict[str, set[int]]:
        held: dict[str, set[int]] = {"approved": set(), "declined": set()}
        for settlement_id, status in unit.session.execute(select(Settlement.id, Settlement.status)):
            held.setdefault(status, set()).add(settlement_id)
        return held

    return in_unit(rt, ADMIN, work)


def ledgers_off_balance(rt: Runtime) -> list[tuple[int, int, int]]:
    """Every account whose balance is not the sum of its postings: (person, balance, sum)."""

    def work(unit: Unit) -> list[tuple[int, int, int]]:
        sums = dict(
            unit.session.execute(select(Posting.person_id, func.sum(Posting.amount)).group_by(Posting.person_id)).all()
        )
        return [
            (account.person_id, account.balance, int(sums.get(account.person_id) or 0))
            for account in unit.session.scalars(select(Account))
            if account.balance != int(sums.get(account.person_id) or 0)
        ]

    return in_unit(rt, ADMIN, work)


def wait_for_database(rt: Runtime, seconds: float = 30.0) -> None:
    """Until the test's own connection reaches the database again."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            settlements(rt)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        else:
            return
