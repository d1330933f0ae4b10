"""A COMMIT whose reply never reaches the server (issue 14), made to happen on purpose:
with a synchronous standby named that does not exist, PostgreSQL writes a commit and
then waits for the standby before it answers; ending that backend then loses the reply
of a commit that took effect. The terminal is told the truth: the stored response when
its Idempotency-Key can tell, 503 `outcome_unknown` when nothing can. The same holds
for the other keyed routes, whose unit of work is http.session's (an offline upload's here)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import psycopg
import pytest

from sscard.testing.postgres import TemporaryPostgres
from tests.faults.conftest import SETTLEMENT_DEADLINE_SECONDS, Served
from tests.faults.world import PIN, PRICE, ledgers_off_balance, offline_upload, settlements

pytestmark = [pytest.mark.postgres_only, pytest.mark.faults]

# How long to look for the COMMIT waiting on the standby before giving up.
WATCH_SECONDS = 10.0


def superuser(postgres: TemporaryPostgres) -> psycopg.Connection[Any]:
    return psycopg.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres", autocommit=True)


@contextmanager
def commits_wait_for_a_standby(postgres: TemporaryPostgres) -> Iterator[None]:
    """Every COMMIT is written, then waits for a standby that never comes."""
    with superuser(postgres) as conn:
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the backends read the new setting between two commands
    try:
        yield
    finally:
        with superuser(postgres) as conn:
            conn.execute("ALTER SYSTEM RESET synchronous_standby_names")
            conn.execute("SELECT pg_reload_conf()")  # releases every waiting commit


def end_a_waiting_commit(postgres: TemporaryPostgres) -> bool:
    """End the backend of a COMMIT waiting for the standby (its commit stands)."""
    deadline = time.monotonic() + WATCH_SECONDS
    with superuser(postgres) as conn:
        while time.monotonic() < deadline:
            ended = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE wait_event = 'SyncRep' AND datname = 'sscard_faults' AND query ILIKE 'COMMIT%'"
            ).fetchall()
            if ended:
                return True
            time.sleep(0.02)
    return False


def charge(served: Served, key: str | None, timeout: float = 15.0) -> httpx2.Response:
    terminal, card_no = served.shop.terminals[0], served.shop.cards[0]
    headers = served.terminal_headers(terminal) | ({"Idempotency-Key": key} if key else {})
    body = {"amount": PRICE, "category": "drug", "card_no": card_no, "pin": PIN}
    return httpx2.post(f"{served.base}/v1/settlements", json=body, headers=headers, timeout=timeout)


def in_background(served: Served, key: str | None) -> tuple[threading.Thread, list[httpx2.Response]]:
    answered: list[httpx2.Response] = []
    thread = threading.Thread(target=lambda: answered.append(charge(served, key)))
    thread.start()
    return thread, answered


def test_a_commit_whose_reply_was_lost_is_answered_with_what_its_key_recorded(served: Served) -> None:
    before = settlements(served.rt)
    with commits_wait_for_a_standby(served.postgres):
        thread, answered = in_background(served, "lost-reply-1")
        assert end_a_waiting_commit(served.postgres), "no COMMIT waited for the standby"
    thread.join(20)
    (response,) = answered
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers  # the first answer this charge got
    new = settlements(served.rt)["approved"] - before["approved"]
    assert new == {response.json()["settlement_id"]}
    again = charge(served, "lost-reply-1")
    assert (again.status_code, again.json()) == (201, response.json())
    assert ledgers_off_balance(served.rt) == []


def test_a_commit_whose_reply_was_lost_without_a_key_is_outcome_unknown(served: Served) -> None:
    before = settlements(served.rt)
    with commits_wait_for_a_standby(served.postgres):
        thread, answered = in_background(served, None)
        assert end_a_waiting_commit(served.postgres), "no COMMIT waited for the standby"
    thread.join(20)
    (response,) = answered
    assert response.status_code == 503
    assert response.json()["code"] == "outcome_unknown"
    assert response.headers["retry-after"].isdigit()
    # The truth was "unknown", and in fact it had committed.
    assert len(settlements(served.rt)["approved"] - before["approved"]) == 1


def test_a_commit_stalled_past_the_deadline_is_outcome_unknown_and_a_retry_learns_it(served: Served) -> None:
    before = settlements(served.rt)
    with commits_wait_for_a_standby(served.postgres):
        stalled = charge(served, "stalled-commit-1", timeout=SETTLEMENT_DEADLINE_SECONDS + 10)
    assert stalled.status_code == 503
    assert stalled.json()["code"] == "outcome_unknown"
    retried = charge(served, "stalled-commit-1")
    while retried.status_code == 409 and retried.json()["code"] == "idempotency_in_progress":
        time.sleep(0.2)  # the released commit is still finishing
        retried = charge(served, "stalled-commit-1")
    assert retried.status_code == 201, retried.text
    assert settlements(served.rt)["approved"] - before["approved"] == {retried.json()["settlement_id"]}
    assert ledgers_off_balance(served.rt) == []


def upload(served: Served, body: dict[str, Any], key: str) -> httpx2.Response:
    terminal = served.shop.terminals[3]
    headers = served.terminal_headers(terminal) | {"Idempotency-Key": key}
    return httpx2.post(f"{served.base}/v1/settlements/offline", json=body, headers=headers, timeout=15)


def test_an_offline_upload_whose_commit_lost_its_reply_is_answered_with_what_its_key_recorded(served: Served) -> None:
    body = offline_upload(served.chip(served.shop.cards[2]), served.shop.terminals[3], "lost-reply-offline-1")
    before = settlements(served.rt)
    answered: list[httpx2.Response] = []
    with commits_wait_for_a_standby(served.postgres):
        thread = threading.Thread(target=lambda: answered.append(upload(served, body, "lost-reply-offline-1")))
        thread.start()
        assert end_a_waiting_commit(served.postgres), "no COMMIT waited for the standby"
    thread.join(20)
    (response,) = answered
    assert response.status_code == 200, response.text
    assert "idempotent-replayed" not in response.headers  # the first answer this upload got
    [result] = response.json()["results"]
    assert result["status"] == "posted"
    assert settlements(served.rt)["posted"] - before.get("posted", set()) == {result["settlement_id"]}
    again = upload(served, body, "lost-reply-offline-1")
    assert (again.status_code, again.json()) == (200, response.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert ledgers_off_balance(served.rt) == []
