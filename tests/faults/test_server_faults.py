"""The supervised server under faults (issue 14): a master or a worker killed, a stop
under load, and how connections spread over workers. PostgreSQL only, durable."""

from __future__ import annotations

import http.client
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sscard.testing.postgres import TemporaryPostgres
from tests.faults.serving import (
    GRACE_SECONDS,
    PATIENCE_SECONDS,
    Load,
    Shop,
    alive,
    assert_the_money_holds,
    durable_postgres,
    fresh_database,
    healthy,
    launch_server,
    serving,
    settle_the_unanswered,
    start_server,
    stop_hard,
)

__all__ = ["durable_postgres"]  # the module's fixture

TERMINALS = 16
WORKERS = 2
BALANCE = 10_000_000
# Past the grace: the application's own shutdown (sscard.serving.supervisor).
STOP_MARGIN_SECONDS = 5


@pytest.fixture
def database(durable_postgres: TemporaryPostgres) -> str:
    """An empty database of the test's own."""
    return fresh_database(durable_postgres)


def _wait_answers(load: Load, count: int) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while load.answered() < count:
        assert time.monotonic() < deadline, f"only {load.answered()} settlements answered"
        time.sleep(0.05)


def test_a_killed_master_takes_its_workers_along_and_a_new_server_binds_at_once(database: str, tmp_path: Path) -> None:
    served = start_server(database, tmp_path, WORKERS)
    workers = served.listeners()
    shop = Shop.open(served.base, TERMINALS, BALANCE)
    load = Load(shop, TERMINALS)
    load.start()
    try:
        _wait_answers(load, 100)
        os.kill(served.process.pid, signal.SIGKILL)
        served.process.wait(PATIENCE_SECONDS)
        served.wait_for(lambda: not any(alive(pid) for pid in workers), "the workers died with their master")
        assert served.listeners() == set(), "nobody listens on the port"
    finally:
        load.finish()
    again = start_server(database, tmp_path, WORKERS, port=served.port)  # binds the same port at once
    try:
        settle_the_unanswered(shop, load.attempts)
        assert_the_money_holds(database, shop, load.attempts)
    finally:
        stop_hard(again)


def test_a_killed_worker_is_replaced_and_no_acknowledged_settlement_is_lost(database: str, tmp_path: Path) -> None:
    with serving(database, tmp_path, WORKERS) as served:
        shop = Shop.open(served.base, TERMINALS, BALANCE)
        before = served.listeners()
        load = Load(shop, TERMINALS)
        load.start()
        try:
            _wait_answers(load, 100)
            victim = min(before)
            os.kill(victim, signal.SIGKILL)
            served.wait_for(
                lambda: len(served.listeners()) == WORKERS and victim not in served.listeners(), "a replacement"
            )
            _wait_answers(load, load.answered() + 200)  # and the replacement serves
        finally:
            load.finish()
        assert served.process.poll() is None, "the master kept running"
        settle_the_unanswered(shop, load.attempts)
        assert_the_money_holds(database, shop, load.attempts)


@pytest.mark.parametrize("workers", [1, WORKERS])
def test_a_stop_answers_what_it_took_in_refuses_the_rest_and_ends_within_the_grace(
    database: str, tmp_path: Path, workers: int
) -> None:
    with serving(database, tmp_path, workers) as served:
        shop = Shop.open(served.base, TERMINALS, BALANCE)
        load = Load(shop, TERMINALS)
        load.start()
        try:
            _wait_answers(load, 200)
            told = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            code = served.process.wait(PATIENCE_SECONDS)
            took = time.monotonic() - told
            served.wait_for(lambda: not served.listeners(), "the port is free")
            refused_after = load.answered()
            time.sleep(1.5)  # terminals keep trying: each attempt now must be refused
        finally:
            load.finish()
        failures = Counter(a.error for a in load.attempts if a.status is None)
        print(f"stopped in {took:.2f} s; {refused_after} answered, then {dict(failures)}")
        assert set(failures) <= {"ConnectError"}, f"a request was reset, not refused: {failures}"
        assert failures, "the terminals tried the stopped server"
        assert load.answered() == refused_after
        # The supervisor exits 0; one process serving alone ends by the signal it was sent.
        assert code == (0 if workers > 1 else -signal.SIGTERM), served.log.read_text()
        assert took < GRACE_SECONDS + STOP_MARGIN_SECONDS, f"stopping took {took:.1f} s"
    again = start_server(database, tmp_path, WORKERS)
    try:
        shop.base = again.base
        settle_the_unanswered(shop, load.attempts)
        assert_the_money_holds(database, shop, load.attempts)
    finally:
        stop_hard(again)


ROUNDS = 4


def test_sixteen_terminals_spread_over_two_workers(database: str, tmp_path: Path) -> None:
    with serving(database, tmp_path, WORKERS) as served:
        shop = Shop.open(served.base, TERMINALS, BALANCE)
        connections, requests, attempts = Counter[int](), Counter[int](), []
        splits = []
        for _ in range(ROUNDS):  # fresh connections each round, all opened at once
            load = Load(shop, TERMINALS, burst=True)
            load.start()
            try:
                _wait_answers(load, TERMINALS * 20)
                serving_pid = served.connections()
            finally:
                load.finish()
            split = Counter(serving_pid.values())
            splits.append(sorted(split.values(), reverse=True))
            connections.update(split)
            requests.update(serving_pid[a.client_port] for a in load.attempts if a.client_port in serving_pid)
            attempts += load.attempts
        print(f"connections per round {splits}; requests per worker {sorted(requests.values(), reverse=True)}")
        assert len(connections) == WORKERS, splits
        # A fair spread puts each connection on either worker as a coin would: fewer than
        # 12 of 64 on one of them comes about once in ten million runs.
        assert min(connections.values()) >= 12, splits
        assert_the_money_holds(database, shop, attempts)


SPREAD_WORKERS = 3
# Fresh connections that a fair spread puts on every one of 3 workers but about once in
# a hundred million runs (one of them gets none: 3 × (2/3)^48 ≈ 1e-8).
FRESH_CONNECTIONS = 48


def test_the_first_answer_waits_until_every_worker_listens_so_the_first_connections_reach_them_all(
    database: str, tmp_path: Path
) -> None:
    served = launch_server(database, tmp_path, SPREAD_WORKERS)
    try:
        # A load generator starts the moment the server answers: so does this test.
        served.wait_for(lambda: healthy(served.base), "the first answer")
        listening = served.listeners()
        with _fresh_connections(served.port, FRESH_CONNECTIONS) as client_ports:
            serving_pid = served.connections()
            holders = Counter(serving_pid[port] for port in client_ports)
        assert len(listening) == SPREAD_WORKERS, f"{len(listening)} workers listened at the first answer"
        assert set(holders) == listening, f"connections per worker at the first answer: {holders}"
    finally:
        stop_hard(served)


@contextmanager
def _fresh_connections(port: int, count: int) -> Iterator[list[int]]:
    """`count` connections opened at once, each with one request answered (so a worker
    has taken it in); their client ports, until the block ends."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE_SECONDS) for _ in range(count)]
    try:
        for connection in connections:
            connection.connect()  # the kernel chooses the worker's socket at the handshake
        for connection in connections:
            connection.request("GET", "/livez")
        for connection in connections:
            assert connection.getresponse().status == 200
        yield [connection.sock.getsockname()[1] for connection in connections if connection.sock is not None]
    finally:
        for connection in connections:
            connection.close()
