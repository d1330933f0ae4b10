"""Settlement under load, on PostgreSQL: several processes charging one account, and a
loss report landing in the middle of a stream of charges (R-ACC-1, R-SET-2, R-LOSS-1)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from sscard.cards.service import activate, issue_card
from sscard.db import make_engine
from sscard.errors import ServiceError
from sscard.institutions.service import NewInstitution, add_terminal, register_institution
from sscard.loss.rules import Channel, ReportKind
from sscard.loss.service import NewLossReport, report_loss
from sscard.people.ledger import PostingKind
from sscard.people.models import Account, Posting
from sscard.people.schemes import Scheme
from sscard.people.service import NewPerson, post, register_person
from sscard.roles import Principal, Role
from sscard.runtime import Runtime, build_runtime
from sscard.settlement.models import Settlement
from sscard.settlement.service import Charge, settle
from sscard.unit import Unit
from tests import factories
from tests.concurrency import in_unit
from tests.conftest import make_settings

PIN = "246810"
PROCESSES, THREADS = 4, 50
OPENING, PRICE = 10_000, 100
ADMIN = Principal("admin.test", Role.ADMIN)


def needs_postgres(rt: Runtime) -> None:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("several processes on one database is a PostgreSQL deployment")


def pharmacy_and_card(rt: Runtime) -> tuple[Principal, int, str]:
    """A designated pharmacy's terminal, and a funded, active card."""

    def setup(unit: Unit) -> tuple[Principal, int, str]:
        pharmacy = register_institution(unit, NewInstitution("某大药房", "pharmacy", "110101", designated=True))
        terminal, _ = add_terminal(unit, pharmacy.id)
        person = register_person(unit, NewPerson(factories.id_number(), "王小明", "110101", Scheme.EMPLOYEE))
        card = issue_card(unit, person.id, "ICBC")
        activate(unit, card.card_no, PIN)
        post(unit, person.id, OPENING, PostingKind.DEPOSIT)
        principal = Principal(terminal.terminal_id, Role.TERMINAL, "110101", institution_id=pharmacy.id)
        return principal, person.id, card.card_no

    return in_unit(rt, ADMIN, setup)


def charge(rt: Runtime, terminal: Principal, card_no: str) -> str:
    """One settlement as a request would run it; its outcome."""
    try:
        in_unit(
            rt, terminal, lambda unit: settle(unit, Charge(amount=PRICE, category="drug", card_no=card_no, pin=PIN))
        )
    except ServiceError as decline:
        return decline.code
    return "approved"


def settle_from_a_process(url: str, terminal: Principal, card_no: str, start: Any, results: Any) -> None:
    """One server process: THREADS charges at once, after every process is ready."""
    engine = make_engine(url, pool_size=THREADS, max_overflow=0)
    rt = build_runtime(make_settings(), engine=engine)
    ready = threading.Barrier(THREADS)

    def one(_: int) -> str:
        ready.wait()
        return charge(rt, terminal, card_no)

    start.wait()
    with ThreadPoolExecutor(THREADS) as pool:
        results.put(list(pool.map(one, range(THREADS))))
    engine.dispose()


def test_two_hundred_charges_from_four_processes_never_overdraw(committed_rt: Runtime) -> None:
    needs_postgres(committed_rt)
    terminal, person_id, card_no = pharmacy_and_card(committed_rt)
    url = committed_rt.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(target=settle_from_a_process, args=(url, terminal, card_no, start, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [outcome for _ in workers for outcome in results.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
    assert len(outcomes) == PROCESSES * THREADS
    assert outcomes.count("approved") == OPENING // PRICE
    assert set(outcomes) == {"approved", "insufficient_balance"}
    balance, total, approved = in_unit(committed_rt, ADMIN, lambda unit: ledger_state(unit, person_id))
    assert balance == 0 == total
    assert approved == OPENING // PRICE


def ledger_state(unit: Unit, person_id: int) -> tuple[int, int, int]:
    balance = unit.session.get_one(Account, person_id).balance
    total = unit.session.scalar(select(func.sum(Posting.amount)).where(Posting.person_id == person_id))
    approved = unit.session.scalar(
        select(func.count())
        .select_from(Settlement)
        .where(Settlement.person_id == person_id, Settlement.status == "approved")
    )
    return balance, int(total or 0), int(approved or 0)


def test_no_charge_is_approved_once_the_loss_report_has_committed(committed_rt: Runtime) -> None:
    """R-LOSS-1 and R-SET-2: from the report's commit on, every charge is declined."""
    needs_postgres(committed_rt)
    terminal, _, card_no = pharmacy_and_card(committed_rt)
    reported: list[float] = []
    stop = threading.Event()

    def keep_charging() -> list[tuple[float, str]]:
        attempts = []
        while not stop.is_set():
            started = time.monotonic()
            attempts.append((started, charge(committed_rt, terminal, card_no)))
        return attempts

    def report() -> None:
        time.sleep(0.2)
        in_unit(
            committed_rt,
            Principal("clerk.test", Role.CLERK),
            lambda unit: report_loss(unit, card_no, NewLossReport(ReportKind.PROVISIONAL, Channel.COUNTER)),
        )
        reported.append(time.monotonic())
        time.sleep(0.2)
        stop.set()

    with ThreadPoolExecutor(9) as pool:
        chargers = [pool.submit(keep_charging) for _ in range(8)]
        pool.submit(report).result()
        attempts = [attempt for future in chargers for attempt in future.result()]
    after = [outcome for started, outcome in attempts if started > reported[0]]
    assert after, "some charges should have been tried after the report"
    assert set(after) == {"card_invalid"}
    assert "approved" in {outcome for started, outcome in attempts if started < reported[0]}
