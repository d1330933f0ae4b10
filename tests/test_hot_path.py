"""The hot path's statements (sscard.hot_path): what the session would have done, and
the same errors as SQLAlchemy's when the driver fails (issue 14, B1)."""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy import Engine, Integer, Select, Table, bindparam, insert, literal, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sscard.db import BoundedWaits, make_engine, outage_of
from sscard.hot_path import HotStatement
from sscard.outages import SERVICE_UNAVAILABLE, Outage, Reason
from sscard.settlement.models import IdempotencyRecord, Settlement
from tests.conftest import START

_RECORDS = cast("Table", IdempotencyRecord.__table__)
_STORE = HotStatement(insert(_RECORDS).returning(_RECORDS.c.owner, _RECORDS.c.body))
_SEEN = HotStatement(
    select(_RECORDS.c.status, _RECORDS.c.body).where(_RECORDS.c.owner == bindparam("owner"), _RECORDS.c.status > 200)
)


def _record(owner: str) -> dict[str, object]:
    body = {"settlement_id": 7, "items": [{"name": "阿莫西林", "fen": 1234}]}
    return {"owner": owner, "key": "k", "request_hash": "h", "status": 201, "body": body, "at": START}


def test_rows_come_back_by_column_name_with_json_and_literal_parameters(engine: Engine) -> None:
    with Session(engine) as session:
        stored = _STORE.rows(session, _record("trm_hot"))
        seen = _SEEN.first(session, {"owner": "trm_hot"})  # `status > 200` is a literal's parameter
        missing = _SEEN.first(session, {"owner": "trm_nobody"})
        session.rollback()
    assert [(row.owner, row.body) for row in stored] == [("trm_hot", _record("trm_hot")["body"])]
    assert (seen.status, seen.body) == (201, _record("trm_hot")["body"])
    assert missing is None


def test_it_sees_what_the_session_has_pending(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(IdempotencyRecord(**_record("trm_pending")))
        seen = _SEEN.first(session, {"owner": "trm_pending"})
        session.rollback()
    assert seen is not None


def test_on_postgresql_a_statement_must_be_given_every_value_it_writes(postgres_server: str) -> None:
    # `items` and `refunded` have defaults that only SQLAlchemy's execution computes.
    settlements = cast("Table", Settlement.__table__)
    values = {"institution_id": 1, "terminal_id": "t", "method": "card", "amount": 1, "category": "drug"}
    engine = make_engine(postgres_server)
    with Session(engine) as session, pytest.raises(TypeError, match="items"):
        HotStatement(insert(settlements)).rows(session, values | {"status": "approved", "at": START})
    engine.dispose()


def test_on_postgresql_a_lock_timeout_is_the_same_outage_as_through_sqlalchemy(postgres_server: str) -> None:
    engine = make_engine(postgres_server, limits=BoundedWaits(statement_ms=5_000, lock_ms=50))
    lock = HotStatement(select(text("pg_advisory_xact_lock(14015)")))
    with engine.connect() as holder, Session(engine) as waiter:
        holder.execute(text("SELECT pg_advisory_xact_lock(14015)"))
        with pytest.raises(DBAPIError) as raised:
            lock.rows(waiter, {})
    engine.dispose()
    assert outage_of(raised.value) == Outage(SERVICE_UNAVAILABLE, Reason.LOCK_TIMEOUT)


def test_on_postgresql_a_lost_connection_is_invalidated_and_an_outage(postgres_server: str) -> None:
    engine = make_engine(postgres_server)
    pid = HotStatement(select(text("pg_backend_pid() AS pid")))
    with engine.connect() as killer, Session(engine) as session:
        backend = pid.rows(session, {})[0].pid
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(DBAPIError) as raised:
            pid.rows(session, {})
        session.rollback()
        assert pid.rows(session, {})[0].pid != backend  # a new connection from the pool
    engine.dispose()
    assert raised.value.connection_invalidated
    assert outage_of(raised.value) == Outage(SERVICE_UNAVAILABLE, Reason.CONNECTION_LOST)


def test_on_postgresql_a_literal_is_sent_on_every_run_not_only_the_first(postgres_server: str) -> None:
    tens = HotStatement(select((bindparam("n", type_=Integer) * 10).label("tens"), literal(7).label("seven")))
    engine = make_engine(postgres_server)
    with Session(engine) as session:
        runs = [tens.first(session, {"n": n}) for n in (1, 2, 3)]
    engine.dispose()
    assert [(row.tens, row.seven) for row in runs] == [(10, 7), (20, 7), (30, 7)]


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        (select(bindparam("now", type_=Integer, callable_=lambda: 1).label("now")), {}),  # computed per run
        (select(bindparam("n", type_=Integer).label("n")), {"n": 1, "m": 2}),  # a name it does not bind
    ],
)
def test_on_postgresql_only_literals_and_given_names_are_bound(
    postgres_server: str, statement: Select[tuple[int]], params: dict[str, int]
) -> None:
    engine = make_engine(postgres_server)
    with Session(engine) as session, pytest.raises(TypeError, match="binds only literals and given names"):
        HotStatement(statement).rows(session, params)
    engine.dispose()
