"""The in-process copy of the list that answers inquiries (invalid_list.mirror)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.engine import Connection

from sscard.cards.numbers import make_card_no
from sscard.clock import FixedClock
from sscard.invalid_list.lookup import InvalidList
from sscard.invalid_list.mirror import ListMirror
from sscard.roles import Role
from sscard.runtime import Runtime, build_runtime
from tests.conftest import START, make_settings, migrated_engine
from tests.invalid_list.cards import lift, new_card, report_lost
from tests.invalid_list.live import DELIVERY_SECONDS, LiveServer, live_server

INQUIRY = "/v1/invalid-list/inquiry"
CARDS = [make_card_no("110105", serial) for serial in range(1, 4)]


@dataclass(frozen=True)
class Change:
    version: int
    card_no: str
    op: str
    reason: str | None


def installed(cards: InvalidList | None = None, *, loaded_at: int = 0, delivered: int = 0) -> ListMirror:
    mirror = ListMirror()
    mirror.install(cards or InvalidList(), loaded_at=loaded_at, delivered=delivered)
    return mirror


def test_a_mirror_is_not_current_before_it_is_loaded() -> None:
    mirror = ListMirror()
    assert not mirror.current
    assert not mirror.clears(CARDS[0])


def test_a_mirror_is_not_current_until_the_broker_reaches_the_version_it_was_loaded_at() -> None:
    mirror = installed(loaded_at=7, delivered=5)
    assert not mirror.clears(CARDS[0])
    mirror.delivered([], 7)
    assert mirror.clears(CARDS[0])


def test_a_listed_card_is_never_cleared() -> None:
    mirror = installed(InvalidList([(CARDS[0], "lost")]))
    assert not mirror.clears(CARDS[0])
    assert mirror.clears(CARDS[1])


def test_the_brokers_older_change_does_not_undo_a_newer_one_committed_here() -> None:
    mirror = installed(InvalidList([(CARDS[0], "lost")]))
    mirror.committed([Change(2, CARDS[0], "add", "lost")])  # listed again here, at version 2
    mirror.delivered([Change(1, CARDS[0], "remove", None)], 1)  # the broker brings the lift only now
    assert not mirror.clears(CARDS[0])
    mirror.delivered([Change(2, CARDS[0], "add", "lost")], 2)
    assert not mirror.clears(CARDS[0])


def test_a_change_the_broker_already_delivered_is_not_applied_again() -> None:
    mirror = installed()
    mirror.delivered([Change(1, CARDS[0], "add", "lost"), Change(2, CARDS[0], "remove", None)], 2)
    mirror.committed([Change(1, CARDS[0], "add", "lost")])  # this process's hook runs late
    assert mirror.clears(CARDS[0])


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Change], list[bool], list[tuple[str, int]]]:
    """Changes in version order, which of them this process committed, and a schedule:
    the broker delivers prefixes of the log as they commit; this process's own commits
    are applied by its hook in their order, at once or later."""
    count = draw(st.integers(1, 12))
    changes = [
        Change(version, draw(st.sampled_from(CARDS)), op, "lost" if op == "add" else None)
        for version, op in enumerate(
            draw(st.lists(st.sampled_from(["add", "remove"]), min_size=count, max_size=count)), 1
        )
    ]
    local = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    schedule: list[tuple[str, int]] = []
    waiting: list[int] = []
    delivered = 0
    for version in range(1, count + 1):
        if local[version - 1]:
            waiting.append(version)
        while len(waiting) > 0 and draw(st.booleans()):
            schedule.append(("commit", waiting.pop(0)))
        if draw(st.booleans()):
            delivered = draw(st.integers(delivered, version))
            schedule.append(("deliver", delivered))
    schedule += [("commit", version) for version in waiting] + [("deliver", count)]
    return changes, local, schedule


def state_after(changes: list[Change], known: set[int]) -> set[str]:
    """Which cards are listed after the newest known change of each card."""
    listed: set[str] = set()
    for change in changes:
        if change.version in known:
            (listed.add if change.op == "add" else listed.discard)(change.card_no)
    return listed


@given(histories())
def test_the_mirror_holds_the_newest_change_it_knows_of_each_card(
    history: tuple[list[Change], list[bool], list[tuple[str, int]]],
) -> None:
    changes, _, schedule = history
    mirror = installed()
    known: set[int] = set()
    reached = 0
    for action, version in schedule:
        if action == "deliver":
            mirror.delivered([c for c in changes if reached < c.version <= version], version)
            reached = max(reached, version)
            known |= set(range(1, reached + 1))
        else:
            mirror.committed([changes[version - 1]])
            known.add(version)
        newest = {c.card_no: c.version for c in changes if c.version in known}
        expected = state_after(changes, {v for v in known if newest.get(changes[v - 1].card_no) == v})
        assert {card for card in CARDS if not mirror.clears(card)} == expected
    assert {card for card in CARDS if not mirror.clears(card)} == state_after(changes, set(range(1, len(changes) + 1)))


# Through a real server: the broker loads the copy and keeps it current.


@pytest.fixture
def live(committed_rt: Runtime) -> Iterator[LiveServer]:
    with live_server(committed_rt) as server:
        yield server


def inquire(live: LiveServer, card_no: str) -> dict[str, object]:
    response = httpx2.get(
        f"{live.base}{INQUIRY}", params={"card_no": card_no}, headers=live.headers(Role.TERMINAL, "110105")
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_loss_reported_here_is_seen_by_the_next_inquiry_and_a_lift_too(live: LiveServer) -> None:
    card = new_card(live.rt)
    live.mirror()
    assert inquire(live, card)["invalid"] is False
    report_lost(live.rt, card)
    assert inquire(live, card)["invalid"] is True
    lift(live.rt, card)
    assert inquire(live, card)["invalid"] is False


def test_an_unlisted_card_is_answered_without_the_database(live: LiveServer) -> None:
    listed, unlisted = new_card(live.rt), new_card(live.rt)
    report_lost(live.rt, listed)
    statements: list[str] = []

    def seen(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        if "invalid_cards" in statement:
            statements.append(statement)

    event.listen(live.rt.engine, "before_cursor_execute", seen)
    try:
        for _ in range(5):
            assert inquire(live, unlisted)["invalid"] is False
        unlisted_reads = len(statements)
        assert inquire(live, listed)["invalid"] is True
    finally:
        event.remove(live.rt.engine, "before_cursor_execute", seen)
    assert unlisted_reads == 0
    assert len(statements) == 1  # the listed card's details come from the database


def test_cards_listed_before_the_server_started_are_in_its_copy(committed_rt: Runtime) -> None:
    card = new_card(committed_rt)
    report_lost(committed_rt, card)
    with live_server(committed_rt) as live:
        assert not live.mirror().clears(card)
        assert inquire(live, card)["invalid"] is True


def test_a_change_committed_by_another_process_reaches_the_copy(live: LiveServer) -> None:
    url = live.rt.engine.url.render_as_string(hide_password=False)
    elsewhere = build_runtime(make_settings(), engine=migrated_engine(url), clock=FixedClock(START))
    try:
        card = new_card(elsewhere)
        report_lost(elsewhere, card)  # no hook of this server's runtime sees it commit
        deadline = time.monotonic() + DELIVERY_SECONDS
        while inquire(live, card)["invalid"] is False:
            assert time.monotonic() < deadline, "the change never reached the server's copy"
            time.sleep(0.05)
        assert not live.mirror().clears(card)
    finally:
        elsewhere.engine.dispose()
