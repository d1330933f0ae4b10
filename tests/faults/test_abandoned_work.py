"""Work nobody waits for any more is not committed (issue 14): a settlement whose
terminal hangs up, or that runs past the server's deadline, rolls back instead of
charging a holder while the terminal was told nothing (or told 503); so does the
unit of work of every other route (http.session), an offline upload's here."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx2
import psycopg
import pytest

from tests.faults.conftest import SETTLEMENT_DEADLINE_SECONDS, Served
from tests.faults.serving import PATIENCE_SECONDS, SS
from tests.faults.world import charge_body, ledgers_off_balance, offline_upload, settlements

pytestmark = [pytest.mark.postgres_only, pytest.mark.faults]


def libpq_url(served: Served) -> str:
    return served.rt.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def account_locked(served: Served, card_no: str) -> Iterator[None]:
    """The card's account row held FOR UPDATE by another transaction, as a slow
    charge of the same holder would: a settlement waits for it."""
    with psycopg.connect(libpq_url(served)) as conn:
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


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Until the condition holds; a bound so that a hang fails, never a timed assertion."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {PATIENCE_SECONDS} s"
        time.sleep(0.02)


def waiting_for_a_lock(served: Served) -> bool:
    """Whether a transaction of the server's waits for a row lock."""
    with psycopg.connect(libpq_url(served)) as conn:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(waiting and waiting[0])


@contextmanager
def hanging_up(served: Served, path: str, body: dict[str, Any], headers: dict[str, str]) -> Iterator[None]:
    """The request sent on a connection of its own, which the client closes when the
    block ends without reading an answer; returns once the server has let it go."""
    address = urlsplit(served.base)
    content = json.dumps(body).encode()
    head = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", "Content-Type: application/json"]
    head += [f"Content-Length: {len(content)}", *(f"{name}: {value}" for name, value in headers.items())]
    with socket.create_connection((address.hostname, address.port)) as conn:
        conn.sendall("\r\n".join([*head, "", ""]).encode() + content)
        client_port = conn.getsockname()[1]
        yield
    port = address.port
    wait_until(lambda: not connected(port, client_port), "the server closing the hung-up connection")


def connected(server_port: int | None, client_port: int) -> bool:
    """Whether the server still holds its end of the client's connection."""
    ends = f"( sport = :{server_port} and dport = :{client_port} )"
    held = subprocess.run([SS, "-Htn", "state", "connected", ends], capture_output=True, text=True, check=True)
    return bool(held.stdout.strip())


def counted(served: Served, metric: str, labels: str) -> float:
    """A counter's value in /metrics, summed over the series whose labels begin so."""
    metrics = httpx2.get(f"{served.base}/metrics", timeout=15).text
    pattern = rf"^{metric}{{{re.escape(labels)}[^}}]*}} (\S+)$"
    return sum(float(value) for value in re.findall(pattern, metrics, re.MULTILINE))


def uploads_answered(served: Served) -> float:
    return counted(served, "sscard_http_requests_total", 'method="POST",route="/v1/settlements/offline"')


def clients_gone(served: Served) -> float:
    return counted(served, "sscard_database_outages_total", 'code="service_unavailable",reason="client_gone"')


def test_an_offline_upload_whose_terminal_hung_up_is_not_committed(served: Served) -> None:
    terminal, card_no = served.shop.terminals[2], served.shop.cards[2]
    headers = served.terminal_headers(terminal) | {"Idempotency-Key": "hung-up-offline-1"}
    upload = offline_upload(served.chip(card_no), terminal, "hung-up-offline-1")
    before, answered, gone = settlements(served.rt), uploads_answered(served), clients_gone(served)
    with account_locked(served, card_no), hanging_up(served, "/v1/settlements/offline", upload, headers):
        wait_until(lambda: waiting_for_a_lock(served), "the upload waiting for the account's lock")
    # The lock released, the work reaches a COMMIT it may not send: 503 to nobody, counted.
    wait_until(lambda: uploads_answered(served) > answered, "the hung-up upload answered")
    assert clients_gone(served) == gone + 1
    assert settlements(served.rt) == before
    retried = httpx2.post(f"{served.base}/v1/settlements/offline", json=upload, headers=headers, timeout=15)
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers  # carried out now, for the first time
    [result] = retried.json()["results"]
    assert result["status"] == "posted"
    assert settlements(served.rt)["posted"] - before.get("posted", set()) == {result["settlement_id"]}
    assert ledgers_off_balance(served.rt) == []
