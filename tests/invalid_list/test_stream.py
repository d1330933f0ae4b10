"""GET /v1/invalid-list/stream: Server-Sent Events, one a change, `id:` = version."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import delete

from sscard.clock import FixedClock
from sscard.db import transaction
from sscard.demo import DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET
from sscard.invalid_list.broker import HEARTBEAT_SECONDS
from sscard.invalid_list.models import ListChange
from sscard.roles import Role
from sscard.runtime import Runtime, build_runtime
from tests.api import Api
from tests.conftest import START, make_settings, migrated_engine
from tests.invalid_list.cards import lift, new_card, report_lost, version_now
from tests.invalid_list.live import STREAM, LiveServer, live_server, stream, take, versions
from tests.servers import demo_server


@pytest.fixture
def live(committed_rt: Runtime) -> Iterator[LiveServer]:
    """A real server on a database whose changes really commit (SQLite and PostgreSQL)."""
    with live_server(committed_rt) as server:
        yield server


def terminal(live: LiveServer, region: str = "110105") -> dict[str, str]:
    return live.headers(Role.TERMINAL, region)


def beijing_terminal(api: Api) -> dict[str, str]:
    return api.headers(Role.TERMINAL, "110105")


def test_events_carry_their_version_in_order_backlog_then_live(live: LiveServer) -> None:
    card = new_card(live.rt)
    report_lost(live.rt, card)
    lift(live.rt, card)
    with stream(live.base, terminal(live), since=0) as events:
        backlog = take(events, 2)
        report_lost(live.rt, card)
        live_events = take(events, 1)
    received = backlog + live_events
    assert versions(received) == [1, 2, 3]
    assert [event.event for event in received] == ["change"] * 3
    bodies = [json.loads(event.data) for event in received]
    assert [body["version"] for body in bodies] == [1, 2, 3]
    assert [(body["card_no"], body["op"], body["reason"]) for body in bodies] == [
        (card, "add", "lost"),
        (card, "remove", "lost"),
        (card, "add", "lost"),
    ]
    assert datetime.fromisoformat(bodies[0]["at"]).utcoffset() is not None


def test_without_a_resume_point_the_stream_starts_with_the_next_change(live: LiveServer) -> None:
    card = new_card(live.rt)
    report_lost(live.rt, card)
    with stream(live.base, terminal(live)) as events:
        lift(live.rt, card)
        (first,) = take(events, 1)
    assert int(first.id) == version_now(live.rt) == 2
    assert json.loads(first.data)["op"] == "remove"


def test_last_event_id_wins_over_since(live: LiveServer) -> None:
    card = new_card(live.rt)
    for _ in range(2):
        report_lost(live.rt, card)
        lift(live.rt, card)
    with stream(live.base, terminal(live), last_event_id=3, since=0) as events:
        (first,) = take(events, 1)
    assert first.id == "4"


def test_resuming_with_last_event_id_skips_nothing_and_repeats_nothing(live: LiveServer) -> None:
    cards = [new_card(live.rt) for _ in range(3)]
    total = 24
    writer = threading.Thread(target=_toggle_cards, args=(live.rt, cards, total))
    writer.start()
    received: list[int] = []
    try:
        while len(received) < total:
            last = received[-1] if received else 0
            with stream(live.base, terminal(live), last_event_id=last) as events:
                # Leave after a few events, as a flaky network would, mid-burst.
                received += versions(take(events, min(random.randint(1, 4), total - len(received))))
    finally:
        writer.join()
    assert received == list(range(1, total + 1))


def _toggle_cards(rt: Runtime, cards: list[str], changes: int) -> None:
    for step in range(changes):
        card = cards[step % len(cards)]
        if (step // len(cards)) % 2:
            lift(rt, card)
        else:
            report_lost(rt, card)
        time.sleep(random.uniform(0, 0.02))


def test_a_stream_carries_only_the_changes_of_its_scope(live: LiveServer) -> None:
    beijing, zhangjiakou = new_card(live.rt, "110105"), new_card(live.rt, "130702", bank="ZJKB")
    with (
        stream(live.base, terminal(live)) as city,
        stream(live.base, terminal(live), scope="130700") as other_city,
        stream(live.base, live.headers(Role.BANK, bank="ICBC"), scope="000000") as nation,
    ):
        report_lost(live.rt, beijing)
        report_lost(live.rt, zhangjiakou)
        lift(live.rt, beijing)
        city_events, other_events, national_events = take(city, 2), take(other_city, 1), take(nation, 3)
    assert versions(city_events) == [1, 3]
    assert {json.loads(e.data)["card_no"] for e in city_events} == {beijing}
    assert versions(other_events) == [2]
    assert json.loads(other_events[0].data)["card_no"] == zhangjiakou
    assert versions(national_events) == [1, 2, 3]


def test_a_terminal_in_a_district_follows_its_city(live: LiveServer) -> None:
    chaoyang, haidian = new_card(live.rt, "110105"), new_card(live.rt, "110108")
    with stream(live.base, terminal(live, "110105")) as events:
        report_lost(live.rt, haidian)
        report_lost(live.rt, chaoyang)
        received = take(events, 2)
    assert [json.loads(e.data)["card_no"] for e in received] == [haidian, chaoyang]


def test_a_client_that_disconnects_is_unsubscribed(live: LiveServer) -> None:
    card = new_card(live.rt)
    with stream(live.base, terminal(live)) as events:
        report_lost(live.rt, card)
        take(events, 1)
        assert live.broker.subscriber_count == 1
    deadline = time.monotonic() + 10
    while live.broker.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.broker.subscriber_count == 0


def test_a_quiet_stream_sends_a_heartbeat_comment(tmp_path: Path) -> None:
    # One backend is enough to wait the heartbeat out.
    engine = migrated_engine(f"sqlite:///{tmp_path / 'quiet.db'}")
    rt = build_runtime(make_settings(), engine=engine, clock=FixedClock(START))
    timeout = httpx2.Timeout(10.0, read=HEARTBEAT_SECONDS + 10)
    try:
        with (
            live_server(rt) as live,
            httpx2.stream("GET", live.base + STREAM, headers=terminal(live), timeout=timeout) as response,
        ):
            first_line = next(response.iter_lines())
    finally:
        engine.dispose()
    assert first_line == ": heartbeat"


def test_a_server_told_to_stop_ends_its_open_streams_and_exits(tmp_path: Path) -> None:
    with demo_server(tmp_path) as server:
        form = {
            "grant_type": "client_credentials",
            "client_id": DEMO_TERMINAL_ID,
            "client_secret": DEMO_TERMINAL_SECRET,
        }
        token = httpx2.post(f"{server.base}/v1/auth/token", data=form).json()["access_token"]
        with stream(server.base, {"Authorization": f"Bearer {token}"}) as events:
            server.process.terminate()
            # The stream ends (no event, no read timeout), and then the server exits.
            assert list(events) == []
        assert server.process.wait(timeout=20) is not None


@pytest.mark.parametrize("role", [Role.TERMINAL, Role.BANK])
def test_terminals_and_banks_may_follow_the_stream(live: LiveServer, role: Role) -> None:
    card = new_card(live.rt)
    with stream(live.base, live.headers(role, "110000", bank="ICBC"), since=0, scope="110100") as events:
        report_lost(live.rt, card)
        assert versions(take(events, 1)) == [1]


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        (Role.CLERK, 403, "forbidden"),
        (Role.OPERATOR, 403, "forbidden"),
        (Role.ADMIN, 403, "forbidden"),
        (Role.CARDHOLDER, 403, "forbidden"),
        (None, 401, "unauthenticated"),
    ],
)
def test_other_callers_are_refused(api: Api, role: Role | None, status: int, code: str) -> None:
    who = api.headers(role, "110000") if role else {}
    response = api.call("GET", STREAM, who)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_a_version_older_than_the_log_is_410_snapshot_required(api: Api) -> None:
    card = api.card(api.person()["person_id"])["card_no"]
    for _ in range(2):
        api.report_loss(card)
        api.call("POST", f"/v1/cards/{card}/loss-reports/lift", api.clerk, json={})
    _trim_log(api.rt, through_version=2)
    response = api.client.get(STREAM, headers={**beijing_terminal(api), "Last-Event-ID": "1"})
    assert response.status_code == 410
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "snapshot_required"
    # The same rule for `since`, and for the oldest version still in the log it is not 410.
    assert api.client.get(STREAM, params={"since": 1}, headers=beijing_terminal(api)).status_code == 410
    # (503 here only because the `api` application runs no broker: see the last test.)
    assert api.client.get(STREAM, params={"since": 2}, headers=beijing_terminal(api)).status_code == 503


def _trim_log(rt: Runtime, through_version: int) -> None:
    with transaction(rt.sessions) as session:
        session.execute(delete(ListChange).where(ListChange.version <= through_version))


def test_a_version_newer_than_any_is_410(api: Api) -> None:
    response = api.client.get(STREAM, headers={**beijing_terminal(api), "Last-Event-ID": "99"})
    assert response.status_code == 410
    assert response.json()["code"] == "snapshot_required"


def test_a_last_event_id_that_is_not_a_version_is_422(api: Api) -> None:
    response = api.client.get(STREAM, headers={**beijing_terminal(api), "Last-Event-ID": "v7"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_a_scope_that_is_not_a_region_is_422(api: Api) -> None:
    response = api.client.get(STREAM, params={"scope": "beijing"}, headers=beijing_terminal(api))
    assert response.status_code == 422


def test_a_server_without_a_running_broker_says_503_instead_of_hanging(api: Api) -> None:
    # The `api` application prepares no database of its own, so it starts no broker.
    response = api.client.get(STREAM, headers=beijing_terminal(api))
    assert response.status_code == 503
    assert response.json()["code"] == "stream_unavailable"
