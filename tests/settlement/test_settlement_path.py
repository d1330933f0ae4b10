"""The online settlement's own path: its statements, its ledger rows, its PIN count and
one Idempotency-Key raced from many requests (R-ACC-1, R-CARD-3, API.md Conventions)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, event, func, select

from sscard.errors import ServiceError
from sscard.idempotency import Replay, once
from sscard.people.models import Account, Posting
from sscard.runtime import Runtime
from sscard.settlement.models import Settlement
from sscard.settlement.service import Charge, settle
from tests.api import Api
from tests.concurrency import in_unit
from tests.settlement.test_settlement_api import funded_card
from tests.settlement.test_settlement_concurrency import (
    ADMIN,
    OPENING,
    PIN,
    PRICE,
    ledger_state,
    needs_postgres,
    pharmacy_and_card,
)

# BEGIN and COMMIT aside: the key, the terminal, the card, the list, the debit, the
# settlement, its posting, the key's record (B1 in BENCHMARKS.md; 13 before) and the
# dashboard's count of the hour (issue 13: a summary row instead of a scan at 10 M).
STATEMENTS_PER_SETTLEMENT = 9


def test_an_approved_settlement_runs_nine_statements(api: Api, connection: Connection) -> None:
    _, card = funded_card(api)
    terminal = api.terminal()
    api.settle(terminal, str(card["card_no"]), 100, key="first")
    with sent_statements(connection) as statements:
        response = api.settle(terminal, str(card["card_no"]), 100, key="second")
    assert response.status_code == 201, response.text
    mine = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]  # the test's own
    assert len(mine) == STATEMENTS_PER_SETTLEMENT, mine


@contextmanager
def sent_statements(connection: Connection) -> Iterator[list[str]]:
    """Every statement sent on the connection: on PostgreSQL counted by psycopg's own
    cursors (the hot path sends there, past SQLAlchemy, see sscard.hot_path), elsewhere
    by SQLAlchemy's event."""
    statements: list[str] = []
    if connection.dialect.name != "postgresql":

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        event.listen(connection, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            event.remove(connection, "before_cursor_execute", count)
        return
    driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]

    class Counting(psycopg.Cursor[Any]):
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            statements.append(str(query))
            return super().execute(query, *args, **kwargs)

    usual, driver.cursor_factory = driver.cursor_factory, Counting
    try:
        yield statements
    finally:
        driver.cursor_factory = usual


def test_each_approved_settlement_has_its_posting_and_the_postings_sum_to_the_balance(
    api: Api, connection: Connection
) -> None:
    """R-ACC-1 on the settlement's own statements, an insufficient balance included."""
    person, card = funded_card(api, balance=1_000)
    terminal = api.terminal()
    answers = [api.settle(terminal, str(card["card_no"]), amount) for amount in (300, 700, 1)]
    assert [a.status_code for a in answers] == [201, 201, 402]
    assert [a.json().get("balance_after") for a in answers[:2]] == [700, 0]
    person_id = int(str(person["person_id"]))
    postings = connection.execute(
        select(Posting.amount, Posting.balance_after, Posting.kind, Posting.ref)
        .where(Posting.person_id == person_id)
        .order_by(Posting.id)
    ).all()
    ids = [a.json()["settlement_id"] for a in answers[:2]]
    assert [tuple(p) for p in postings[1:]] == [
        (-300, 700, "settlement", f"settlement:{ids[0]}"),
        (-700, 0, "settlement", f"settlement:{ids[1]}"),
    ]
    balance = connection.execute(select(Account.balance).where(Account.person_id == person_id)).scalar_one()
    assert balance == sum(p.amount for p in postings) == 0
    rows = connection.execute(select(Settlement.status, Settlement.balance_after).where(Settlement.id.in_(ids)))
    assert sorted(tuple(r) for r in rows) == [("approved", 0), ("approved", 700)]


def test_r_card_3_a_right_pin_clears_the_count_of_wrong_ones(api: Api) -> None:
    _, card = funded_card(api)
    terminal, card_no = api.terminal(), str(card["card_no"])
    assert [api.settle(terminal, card_no, 100, pin="111111").json()["tries_left"] for _ in range(2)] == [2, 1]
    assert api.settle(terminal, card_no, 100).status_code == 201
    again = api.settle(terminal, card_no, 100, pin="111111")
    assert again.json()["code"] == "pin_incorrect"
    assert again.json()["tries_left"] == 2


def test_one_key_raced_from_many_requests_charges_once(committed_rt: Runtime) -> None:
    """Same key, same body, at once: one charge; the others replay it or are told it
    is in progress, and none of them is a second charge."""
    needs_postgres(committed_rt)
    terminal, person_id, card_no = pharmacy_and_card(committed_rt)
    charge = Charge(amount=PRICE, category="drug", card_no=card_no, pin=PIN)
    payload = {"amount": PRICE, "category": "drug", "card_no": card_no}

    def one(_: int) -> str:
        try:
            in_unit(
                committed_rt,
                terminal,
                lambda unit: once(unit, "same-key", payload, lambda: (201, {"id": settle(unit, charge).id})),
            )
        except Replay:
            return "replayed"
        except ServiceError as refusal:
            return refusal.code
        return "approved"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(one, range(12)))
    assert outcomes.count("approved") == 1
    assert set(outcomes) <= {"approved", "replayed", "idempotency_in_progress"}
    balance, total, approved = in_unit(committed_rt, ADMIN, lambda unit: ledger_state(unit, person_id))
    assert balance == total == OPENING - PRICE
    assert approved == 1
    keyed = in_unit(
        committed_rt,
        ADMIN,
        lambda unit: unit.session.scalar(select(func.count()).select_from(Posting).where(Posting.amount == -PRICE)),
    )
    assert keyed == 1
