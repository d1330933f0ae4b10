"""R-NOTE-2 with two workers: the bank's endpoint row is locked for the whole push, so
two outbox workers pushing one bank at once never send an event twice or out of order."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sscard.banks.push import PushPending, push_bank
from sscard.banks.service import notify_bank, set_endpoint
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests.concurrency import in_unit
from tests.outbox.receivers import Receiver
from tests.outbox.runtimes import ADMIN, committed_runtime, database_url

SECRET = "icbc-signing-secret-0123456789"


@pytest.fixture
def bank() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def committed(blank_database: str, tmp_path: Path) -> Iterator[Runtime]:
    with committed_runtime(blank_database, tmp_path / "var", bank_push_timeout_seconds=2) as rt:
        yield rt


def pushing(rt: Runtime) -> int | str:
    try:
        return push_bank(rt, "ICBC")
    except PushPending:
        return "busy"


@pytest.mark.postgres_only
def test_r_note_2_two_workers_pushing_one_bank_at_once_send_each_event_once_in_order(
    committed: Runtime, bank: Receiver, tmp_path: Path
) -> None:
    if committed.engine.dialect.name != "postgresql":
        pytest.skip("two workers on one database is a PostgreSQL deployment (row locks, SKIP LOCKED)")
    in_unit(committed, ADMIN, lambda unit: set_endpoint(unit, "ICBC", bank.url, SECRET))

    def record(unit: Unit) -> None:
        for n in range(20):
            notify_bank(unit, "ICBC", "loss", f"{1101010000000000 + n}", report_kind="provisional", report_id=n)

    in_unit(committed, ADMIN, record)
    bank.delay = 0.01  # a bank that takes a moment to answer each event
    with committed_runtime(database_url(committed), tmp_path / "other", migrate=False) as other:

        def first(rt: Runtime) -> int | str:
            return pushing(rt)

        def second(rt: Runtime) -> int | str:
            # Another worker (another outbox message for the bank) arrives mid-push.
            deadline = time.monotonic() + 2
            while len(bank.received) < 3 and time.monotonic() < deadline:
                time.sleep(0.001)
            return pushing(rt)

        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(first, committed), pool.submit(second, other)]
            outcomes = [future.result() for future in futures]

    arrived = [r.json()["event_id"] for r in bank.accepted()]
    assert Counter(arrived).most_common(1)[0][1] == 1, outcomes
    assert arrived == sorted(arrived)
    assert len(arrived) == 20
