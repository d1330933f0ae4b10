"""Terminals settling while PostgreSQL is restarted and frozen under them (issue 14):
no acknowledged settlement is lost, none is doubled, every ledger sums, every retry
with the same key agrees, and a terminal only ever hears 201, 402 or 503."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx2
import pytest

from tests.faults.conftest import Served
from tests.faults.world import (
    ANSWERS_EXPECTED,
    Night,
    charge_body,
    ledgers_off_balance,
    settlements,
    terminals_charging,
    wait_for_database,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.faults]

# Ordinary traffic before the fault and after it, so both sides of it are exercised.
BEFORE_SECONDS, AFTER_SECONDS = 1.0, 2.0
FREEZE_SECONDS = 5.0
# /healthz gives the database 0.8 s (app.HEALTH_WAIT_SECONDS); the client allows more,
# for a CI machine whose cores are busy with the terminals too (1.4 s measured there).
HEALTH_PATIENCE_SECONDS = 2.5


def a_night(served: Served, fault: Callable[[], None]) -> Night:
    """The terminals charging through `fault`; the money checked after it."""
    before = settlements(served.rt)
    with terminals_charging(served.base, served.shop, served.terminal_headers) as night:
        time.sleep(BEFORE_SECONDS)
        night.fault_started = time.monotonic()
        fault()
        night.fault_ended = time.monotonic()
        time.sleep(AFTER_SECONDS)
    wait_for_database(served.rt)
    assert_the_money_held(served, night, before)
    print(json.dumps(night.measured()))
    return night


def assert_the_money_held(served: Served, night: Night, before: dict[str, set[int]]) -> None:
    statuses = {answer.status for answer in night.answers()}
    assert statuses <= ANSWERS_EXPECTED, f"answers other than 201/402/503: {statuses - ANSWERS_EXPECTED}"
    unanswered = [charge.key for charge in night.charges if charge.final.status not in {201, 402}]
    assert not unanswered, f"charges never answered: {unanswered}"
    after = settlements(served.rt)
    acknowledged = {c.final.body["settlement_id"] for c in night.charges if c.final.status == 201}
    assert len(acknowledged) == sum(1 for c in night.charges if c.final.status == 201)
    assert acknowledged <= after["approved"], f"acknowledged but lost: {acknowledged - after['approved']}"
    assert after["approved"] - before["approved"] == acknowledged, "a charge was made that no terminal was told of"
    declined = sum(1 for c in night.charges if c.final.status == 402)
    assert len(after["declined"] - before["declined"]) == declined
    assert ledgers_off_balance(served.rt) == []
    assert_every_retry_agrees(served, night)


def assert_every_retry_agrees(served: Served, night: Night) -> None:
    with httpx2.Client(base_url=served.base, timeout=15) as client:
        for charge in night.charges:
            headers = served.terminal_headers(charge.terminal) | {"Idempotency-Key": charge.key}
            again = client.post("/v1/settlements", json=charge_body(charge.card_no), headers=headers)
            assert again.status_code == charge.final.status, charge.key
            assert without_request_id(again.json()) == without_request_id(charge.final.body), charge.key


def without_request_id(body: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in body.items() if name != "request_id"}


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_a_postgresql_restart_loses_no_acknowledged_settlement_and_doubles_none(served: Served, mode: str) -> None:
    night = a_night(served, lambda: served.postgres.restart(mode))
    outages = [answer for answer in night.answers() if answer.status == 503]
    assert all(answer.retry_after for answer in outages), "a 503 without Retry-After"
    assert {answer.code for answer in outages} <= {"service_unavailable", "outcome_unknown"}


def test_a_frozen_postgresql_answers_503_in_bounded_time_and_healthz_says_so(served: Served) -> None:
    health: list[tuple[int, float]] = []

    def freeze() -> None:
        frozen = served.postgres.freeze()
        try:
            time.sleep(1.0)
            while time.monotonic() < night_started + FREEZE_SECONDS:
                asked = time.monotonic()
                # Past HEALTH_PATIENCE_SECONDS the probe raises, and the test fails.
                answer = httpx2.get(f"{served.base}/healthz", timeout=HEALTH_PATIENCE_SECONDS)
                health.append((answer.status_code, round(time.monotonic() - asked, 3)))
                time.sleep(0.5)
        finally:
            served.postgres.thaw(frozen)

    night_started = time.monotonic() + BEFORE_SECONDS
    night = a_night(served, freeze)
    print(json.dumps({"healthz_while_frozen": health}))
    assert health, "no health check ran during the freeze"
    assert {status for status, _ in health} == {503}
    assert any(answer.status == 503 for answer in night.answers()), "a frozen database gave no terminal a 503"
    assert httpx2.get(f"{served.base}/healthz", timeout=5).status_code == 200
