"""R-ACC-1 under load: concurrent debits and credits on one account, really committed.

On PostgreSQL the account row is locked FOR UPDATE; on SQLite writers are serialised
by BEGIN IMMEDIATE. Without either, lost updates would break the sums below.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from sscard.db import transaction
from sscard.errors import Declined
from sscard.people.ledger import PostingKind
from sscard.people.models import Account, Posting
from sscard.people.schemes import Scheme
from sscard.people.service import NewPerson, post, register_person
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests import factories

WORKERS = 50
OPENING = 1_000
CREDIT, DEBIT = 300, -500

ADMIN = Principal("admin.test", Role.ADMIN)


def unit_for(rt: Runtime, session: object) -> Unit:
    return Unit(session=session, runtime=rt, actor=ADMIN, now=rt.clock.now())  # type: ignore[arg-type]


def open_account(rt: Runtime) -> int:
    with transaction(rt.sessions) as session:
        unit = unit_for(rt, session)
        person = register_person(unit, NewPerson(factories.id_number(), "王小明", "110101", Scheme.EMPLOYEE))
        post(unit, person.id, OPENING, PostingKind.DEPOSIT)
        return person.id


def warm_pool(rt: Runtime, size: int) -> None:
    """Open the pool's connections first, so that the workers start their transactions
    together instead of queueing behind connection set-up."""
    connections = [rt.engine.connect() for _ in range(size)]
    for connection in connections:
        connection.close()


def test_fifty_concurrent_debits_and_credits_keep_the_ledger_whole(committed_rt: Runtime) -> None:
    rt = committed_rt
    person_id = open_account(rt)
    amounts = [CREDIT] * (WORKERS // 2) + [DEBIT] * (WORKERS // 2)
    random.Random(7).shuffle(amounts)
    start = threading.Barrier(WORKERS)

    warm_pool(rt, WORKERS)

    def move(amount: int) -> int | str:
        start.wait()
        try:
            with transaction(rt.sessions) as session:
                kind = PostingKind.DEPOSIT if amount > 0 else PostingKind.SETTLEMENT
                post(unit_for(rt, session), person_id, amount, kind)
        except Declined as refusal:
            return refusal.code
        return amount

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(move, amounts))
    assert {o for o in outcomes if isinstance(o, str)} <= {"insufficient_balance"}
    applied = [o if isinstance(o, int) else 0 for o in outcomes]

    with transaction(rt.sessions) as session:
        balance = session.scalars(select(Account.balance).where(Account.person_id == person_id)).one()
        postings = session.scalars(select(Posting).where(Posting.person_id == person_id).order_by(Posting.id)).all()
    assert balance == OPENING + sum(applied)
    assert balance == sum(p.amount for p in postings)
    assert len(postings) == 1 + sum(1 for a in applied if a)
    assert any(a == DEBIT for a in applied), "some debits should have gone through"
    assert any(a == 0 for a in applied), "with more debits than money, some must be refused"
    running = 0
    for posting in postings:
        running += posting.amount
        assert posting.balance_after == running >= 0
