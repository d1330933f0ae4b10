"""R-NOTE-2 end to end, committed, through the API: a bank's events are pushed to its
endpoint signed, after commit, in order, retried with backoff until acknowledged —
and polling GET /v1/bank-events keeps working throughout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sscard.app import create_app
from sscard.banks.models import BankEndpoint
from sscard.banks.push import SIGNATURE_HEADER
from sscard.outbox import MAX_DELAY_SECONDS, drain
from sscard.roles import Role
from sscard.runtime import Runtime
from tests.api import Api
from tests.banks.signing import verified_timestamp
from tests.outbox.receivers import Received, Receiver
from tests.outbox.runtimes import clock_of, committed_runtime, outbox_rows

SECRET = "icbc-signing-secret-0123456789"
PAST_ANY_BACKOFF = timedelta(seconds=MAX_DELAY_SECONDS + 1)


@pytest.fixture
def bank() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def committed(blank_database: str, tmp_path: Path) -> Iterator[Runtime]:
    with committed_runtime(
        blank_database, tmp_path / "var", sms_file=tmp_path / "sms.jsonl", bank_push_timeout_seconds=1
    ) as rt:
        yield rt


@pytest.fixture
def api(committed: Runtime) -> Iterator[Api]:
    """The API on the committing runtime: every request really commits."""
    with TestClient(create_app(rt=committed, prepare=False)) as client:
        yield Api(client, committed)


def icbc(api: Api) -> dict[str, str]:
    return api.headers(Role.BANK, bank="ICBC")


def polled(api: Api) -> list[dict[str, Any]]:
    """Every ICBC event as polling reads it."""
    response = api.call("GET", "/v1/bank-events", icbc(api), params={"limit": 1000})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def endpoint(rt: Runtime) -> BankEndpoint:
    with rt.sessions() as session:
        return session.get_one(BankEndpoint, "ICBC")


def lost_card(api: Api) -> str:
    card_no = str(api.card(api.person()["person_id"])["card_no"])
    api.report_loss(card_no)
    return card_no


def lift(api: Api, card_no: str) -> None:
    response = api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", api.clerk, json={})
    assert response.status_code == 200, response.text


def check_arrivals(arrived: list[Received], events: list[dict[str, Any]], now: datetime, *, since: int = 0) -> None:
    """Each event once, in order of event_id, signed, its body the polled event; those
    from `since` on were sent at `now` by the runtime's clock."""
    assert [r.json()["event_id"] for r in arrived] == [e["event_id"] for e in events]
    for n, (request, event) in enumerate(zip(arrived, events, strict=True)):
        t = verified_timestamp(request.headers[SIGNATURE_HEADER], SECRET, request.body)
        assert n < since or abs(t - now.timestamp()) <= 300
        assert request.headers["Content-Type"] == "application/json"
        body = request.json()
        assert datetime.fromisoformat(body.pop("at")) == datetime.fromisoformat(event["at"])
        assert body == {k: v for k, v in event.items() if k != "at"}


def test_r_note_2_every_event_arrives_once_in_order_after_the_bank_comes_back(
    api: Api, committed: Runtime, bank: Receiver
) -> None:
    clock = clock_of(committed)
    put = api.call("PUT", "/v1/banks/ICBC/endpoint", icbc(api), json={"url": bank.url, "secret": SECRET})
    assert put.status_code == 200, put.text
    found = lost_card(api)
    lift(api, found)
    api.replace(lost_card(api))
    drain(committed)
    assert [e["kind"] for e in polled(api)] == ["loss", "lift", "loss", "replacement"]
    check_arrivals(bank.accepted(), polled(api), clock.now())

    bank.stop()  # the bank is down: connections refused
    lost_card(api)
    api.report_loss(found)
    drain(committed)
    events = polled(api)
    assert len(events) == 6  # polling sees what the push could not deliver
    assert endpoint(committed).pushed_through == events[3]["event_id"]
    assert endpoint(committed).failures >= 1
    assert "ConnectError" in (endpoint(committed).last_error or "")
    pending = [m for m in outbox_rows(committed, "bank_push") if m.done_at is None]
    assert pending
    assert all(m.last_error for m in pending)

    bank.status = 500  # back, but failing
    bank.start()
    clock.advance(PAST_ANY_BACKOFF)
    drain(committed)
    assert endpoint(committed).last_error == "ICBC: HTTP 500"
    assert endpoint(committed).pushed_through == events[3]["event_id"]

    bank.status = 200  # well again
    assert drain(committed) == 0  # the pushes wait out their backoff …
    clock.advance(PAST_ANY_BACKOFF)
    drain(committed)  # … and then every event arrives
    check_arrivals(bank.accepted(), events, clock.now(), since=4)
    assert (endpoint(committed).pushed_through, endpoint(committed).failures) == (events[-1]["event_id"], 0)
    assert endpoint(committed).last_error is None
    assert all(m.done_at is not None for m in outbox_rows(committed, "bank_push"))
    assert polled(api) == events


def test_r_note_2_a_bank_failing_mid_stream_gets_nothing_past_the_event_it_refused(
    api: Api, committed: Runtime, bank: Receiver
) -> None:
    clock = clock_of(committed)
    api.call("PUT", "/v1/banks/ICBC/endpoint", api.admin, json={"url": bank.url, "secret": SECRET})
    bank.accept_only = 2  # takes two events, then answers 500
    for _ in range(2):
        lift(api, lost_card(api))
    drain(committed)
    events = polled(api)
    assert len(events) == 4
    tried = [r.json()["event_id"] for r in bank.received]
    assert tried[:3] == [e["event_id"] for e in events[:3]]
    assert set(tried[3:]) <= {events[2]["event_id"]}  # the other messages retry the refused one
    assert endpoint(committed).pushed_through == events[1]["event_id"]
    assert endpoint(committed).last_error == "ICBC: HTTP 500"

    bank.accept_only = None
    clock.advance(PAST_ANY_BACKOFF)
    drain(committed)
    check_arrivals(bank.accepted(), events, clock.now(), since=2)


def test_r_note_2_a_bank_without_an_endpoint_polls_and_its_outbox_messages_are_done(
    api: Api, committed: Runtime, bank: Receiver
) -> None:
    lost_card(api)
    assert drain(committed) >= 1
    assert [e["kind"] for e in polled(api)] == ["loss"]
    assert bank.received == []
    assert [m.done_at is not None for m in outbox_rows(committed, "bank_push")] == [True]
