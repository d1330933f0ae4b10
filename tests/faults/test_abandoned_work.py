"""Work nobody waits for any more is not committed (issue 14): a settlement whose
terminal hangs up, or that runs past the server's deadline, rolls back instead of
charging a holder while the terminal was told nothing (or told 503)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import psycopg
import pytest

from tests.faults.conftest import SETTLEMENT_DEADLINE_SECONDS, Served
from tests.faults.world import charge_body, ledgers_off_balance, settlements

pytestmark = [pytest.mark.postgres_only, pytest.mark.faults]


@contextmanager
def account_locked(served: Served, card_no: str) -> Iterator[None]:
    """The card's account row held FOR UPDATE by another transaction, as a slow
    charge of the same holder would: a settlement waits for it."""
    url = served.rt.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        conn.execute(
            "SELECT balance FROM accounts WHERE person_id = "
            "(SELECT person_id FROM cards WHERE card_no = %s) FOR UPDATE",
            (card_no,),
        )
        yield
        conn.rollback()


def send(served: Served, key: str, timeout: float) -> httpx2.Response:
    terminal, card_no = served.shop.terminals[1], served.shop.cards[1]
    headers = served.terminal_headers(terminal) | {"Idempotency-Key": key}
    return httpx2.post(f"{served.base}/v1/settlements", json=charge_body(card_no), headers=headers, timeout=timeout)


def test_a_settlement_whose_terminal_hung_up_is_not_committed(served: Served) -> None:
    before = settlements(served.rt)
    with account_locked(served, served.shop.cards[1]):
        with pytest.raises(httpx2.ReadTimeout):
            send(served, "hung-up-1", timeout=0.5)  # the terminal gives up and closes
        time.sleep(1.0)  # the server notices the hang-up while the row is still locked
    time.sleep(1.0)  # the work gets its lock, and reaches a COMMIT it may not send
    assert settlements(served.rt) == before
    retried = send(served, "hung-up-1", timeout=15)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers  # carried out now, for the first time
    assert ledgers_off_balance(served.rt) == []


def test_a_settlement_past_its_deadline_is_503_and_not_committed(served: Served) -> None:
    before = settlements(served.rt)
    with account_locked(served, served.shop.cards[1]):
        late = send(served, "past-deadline-1", timeout=SETTLEMENT_DEADLINE_SECONDS + 10)
    assert late.status_code == 503
    assert late.json()["code"] == "service_unavailable"
    assert late.headers["retry-after"] == "1"
    time.sleep(1.0)  # the abandoned work gets its lock and rolls back at its COMMIT
    assert settlements(served.rt) == before
    retried = send(served, "past-deadline-1", timeout=15)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
