"""The temporary certificate under concurrency, on PostgreSQL: charges racing on one
account, and a collection of the new card landing among them (R-SET-5, R-ACC-1)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from sscard.clock import FixedClock
from sscard.errors import ServiceError
from sscard.loss.replacement import NewReplacement, apply, collect
from sscard.loss.rules import ReplacementReason
from sscard.people.models import Person
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.settlement.service import Charge, settle
from sscard.unit import Unit
from tests.concurrency import as_request, in_unit, race
from tests.settlement.test_settlement_concurrency import ADMIN, OPENING, ledger_state, needs_postgres, pharmacy_and_card

CLERK = Principal("clerk.test", Role.CLERK)
PRICE, CHARGES = 500, 30


def certificate_of(rt: Runtime, card_no: str) -> tuple[int, str, str]:
    """Apply for the damaged card's replacement: its id, certificate number and the holder's ID number."""

    def replace(unit: Unit) -> tuple[int, str, str]:
        new = NewReplacement(ReplacementReason.DAMAGED, documents=("resident_id_card", "photo"))
        replacement = apply(unit, card_no, new)
        holder = unit.session.get_one(Person, replacement.person_id)
        return replacement.id, replacement.collection_certificate_no, holder.id_number

    return in_unit(rt, CLERK, replace)


def charge(rt: Runtime, terminal: Principal, certificate_no: str, id_number: str) -> str:
    """One certificate settlement as a request would run it; its outcome."""
    paid = Charge(amount=PRICE, category="drug", certificate_no=certificate_no, id_number=id_number)
    try:
        in_unit(rt, terminal, lambda unit: settle(unit, paid))
    except ServiceError as decline:
        return decline.code
    return "approved"


@pytest.mark.postgres_only
def test_r_set_5_certificate_charges_racing_on_one_account_never_overdraw(committed_rt: Runtime) -> None:
    needs_postgres(committed_rt)
    terminal, person_id, card_no = pharmacy_and_card(committed_rt)
    _, certificate_no, id_number = certificate_of(committed_rt, card_no)
    outcomes = race(*(lambda: charge(committed_rt, terminal, certificate_no, id_number) for _ in range(CHARGES)))
    assert outcomes.count("approved") == OPENING // PRICE
    assert set(outcomes) == {"approved", "insufficient_balance"}
    balance, total, approved = in_unit(committed_rt, ADMIN, lambda unit: ledger_state(unit, person_id))
    assert balance == 0 == total
    assert approved == OPENING // PRICE


@pytest.mark.postgres_only
def test_r_set_5_no_certificate_charge_is_approved_once_the_collection_has_committed(committed_rt: Runtime) -> None:
    needs_postgres(committed_rt)
    terminal, person_id, card_no = pharmacy_and_card(committed_rt)
    replacement_id, certificate_no, id_number = certificate_of(committed_rt, card_no)
    clock = committed_rt.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=30))  # the new card is ready
    collected: list[float] = []
    stop = threading.Event()

    def keep_charging() -> list[tuple[float, str]]:
        attempts = []
        while not stop.is_set():
            started = time.monotonic()
            attempts.append((started, charge(committed_rt, terminal, certificate_no, id_number)))
        return attempts

    def hand_over() -> None:
        time.sleep(0.2)
        as_request(committed_rt, CLERK, lambda unit: collect(unit, replacement_id, id_number, certificate_no))()
        collected.append(time.monotonic())
        time.sleep(0.2)
        stop.set()

    with ThreadPoolExecutor(5) as pool:
        chargers = [pool.submit(keep_charging) for _ in range(4)]
        pool.submit(hand_over).result()
        attempts = [attempt for future in chargers for attempt in future.result()]
    after = {outcome for started, outcome in attempts if started > collected[0]}
    assert after == {"certificate_invalid"}
    assert "approved" in {outcome for started, outcome in attempts if started < collected[0]}
    balance, total, approved = in_unit(committed_rt, ADMIN, lambda unit: ledger_state(unit, person_id))
    assert balance == total == OPENING - approved * PRICE >= 0
