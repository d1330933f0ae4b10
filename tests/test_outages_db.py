"""Outages as the database and the HTTP shell see them (issue 14): PostgreSQL's own
timeouts classified, and a database that does not answer is 503 with Retry-After."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sscard.app import create_app
from sscard.db import BoundedWaits, make_engine, outage_of
from sscard.outages import SERVICE_UNAVAILABLE, Outage, Reason
from sscard.roles import Principal, Role
from sscard.runtime import build_runtime
from tests.conftest import make_settings
from tests.servers import free_port

SHORT = BoundedWaits(statement_ms=50, lock_ms=50)


def test_a_statement_past_statement_timeout_is_service_unavailable(postgres_server: str) -> None:
    engine = make_engine(postgres_server, limits=SHORT)
    with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
        conn.execute(text("SELECT pg_sleep(2)"))
    engine.dispose()
    assert outage_of(raised.value) == Outage(SERVICE_UNAVAILABLE, Reason.STATEMENT_TIMEOUT)


def test_a_lock_wait_past_lock_timeout_is_service_unavailable(postgres_server: str) -> None:
    engine = make_engine(postgres_server, limits=BoundedWaits(statement_ms=5_000, lock_ms=50))
    with engine.connect() as holder, engine.connect() as waiter:
        holder.execute(text("SELECT pg_advisory_xact_lock(14014)"))
        with pytest.raises(DBAPIError) as raised:
            waiter.execute(text("SELECT pg_advisory_xact_lock(14014)"))
    engine.dispose()
    assert outage_of(raised.value) == Outage(SERVICE_UNAVAILABLE, Reason.LOCK_TIMEOUT)


def test_a_unique_key_clash_is_no_outage(postgres_server: str) -> None:
    engine = make_engine(postgres_server, limits=SHORT)
    with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
        conn.execute(text("CREATE TEMP TABLE once (n int PRIMARY KEY); INSERT INTO once VALUES (1), (1)"))
    engine.dispose()
    assert outage_of(raised.value) is None


def test_a_database_that_refuses_connections_is_503_with_retry_after_and_counted() -> None:
    # Nothing listens on this port: every connection is refused at once.
    gone = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"
    rt = build_runtime(make_settings(database_url=gone, metrics_token="metrics-" + "m" * 24))
    token = rt.tokens.issue(Principal("trm_night", Role.TERMINAL, "110101", institution_id=1), rt.clock.now())
    charge = {"amount": 100, "category": "drug", "card_no": "1101010000000001", "pin": "246810"}
    with TestClient(create_app(rt=rt, prepare=False)) as client:
        refused = client.post(
            "/v1/settlements", json=charge, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
        )
        health, live = client.get("/healthz"), client.get("/livez")
        metrics = client.get("/metrics", headers={"Authorization": "Bearer metrics-" + "m" * 24}).text
    rt.engine.dispose()
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "service_unavailable"
    assert refused.json()["request_id"] == refused.headers["x-request-id"]
    assert (health.status_code, live.status_code) == (503, 200)
    assert 'sscard_database_outages_total{code="service_unavailable",reason="connection_lost"}' in metrics
