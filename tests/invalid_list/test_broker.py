"""The broker: every committed change reaches every subscriber of its scope, in order.

The safety-net timer is set to an hour here, so a change that arrives came through the
path under test: the commit hook on SQLite, LISTEN/NOTIFY on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from sscard.clock import FixedClock
from sscard.invalid_list.broker import ListBroker, ListEvent, StreamUnavailable, Subscription
from sscard.invalid_list.service import PENDING_CHANGES
from sscard.loss.rules import Channel, ReportKind
from sscard.loss.service import NewLossReport, report_loss
from sscard.roles import Role
from sscard.runtime import Runtime, build_runtime
from sscard.unit import Unit
from tests import factories
from tests.conftest import START, fresh_database, make_settings, migrated_engine
from tests.invalid_list.cards import lift, new_card, report_lost, version_now

NEVER = 3600.0  # the safety-net timer, kept out of the way
DELIVERY_SECONDS = 10.0


def runtime_on(url: str) -> Runtime:
    """A runtime on its own engine (its own connections and sessions)."""
    return build_runtime(make_settings(), engine=migrated_engine(url), clock=FixedClock(START))


@pytest.fixture
def sqlite_rt(tmp_path: Path) -> Iterator[Runtime]:
    rt = runtime_on(f"sqlite:///{tmp_path / 'broker.db'}")
    yield rt
    rt.engine.dispose()


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    return fresh_database(postgres_server, f"sscard_broker_{os.getpid()}")


async def next_change(subscription: Subscription) -> ListEvent | None:
    """The subscription's next change, which must come within DELIVERY_SECONDS."""
    return await asyncio.wait_for(subscription.next(), DELIVERY_SECONDS)


def test_on_sqlite_a_commit_in_this_process_reaches_a_subscriber(sqlite_rt: Runtime) -> None:
    card = new_card(sqlite_rt)

    async def scenario() -> ListEvent | None:
        broker = ListBroker(sqlite_rt, safety_interval=NEVER)
        await broker.start()
        try:
            subscription = broker.subscribe("110100")
            await asyncio.to_thread(report_lost, sqlite_rt, card)  # commits in a worker thread
            return await next_change(subscription)
        finally:
            await broker.stop()

    change = asyncio.run(scenario())
    assert change is not None
    assert (change.version, change.card_no, change.op, change.reason) == (1, card, "add", "lost")


def test_on_postgresql_a_commit_through_another_connection_arrives_by_notify(postgres_url: str) -> None:
    serving, elsewhere = runtime_on(postgres_url), runtime_on(postgres_url)
    card = new_card(elsewhere)

    async def scenario() -> list[ListEvent | None]:
        broker = ListBroker(serving, safety_interval=NEVER)
        await broker.start()
        try:
            subscription = broker.subscribe("000000")
            await _listening(serving)
            # Another engine, pool and sessionmaker: nothing of `serving` sees this commit.
            await asyncio.to_thread(report_lost, elsewhere, card)
            await asyncio.to_thread(lift, elsewhere, card)
            return [await next_change(subscription), await next_change(subscription)]
        finally:
            await broker.stop()

    try:
        changes = asyncio.run(scenario())
    finally:
        serving.engine.dispose()
        elsewhere.engine.dispose()
    assert [(c.version, c.op) for c in changes if c] == [(1, "add"), (2, "remove")]


async def _listening(rt: Runtime) -> None:
    """Wait until the broker's LISTEN connection shows in pg_stat_activity."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND left(query, 6) = 'LISTEN'"

    def count() -> int:
        with rt.engine.connect() as conn:
            return int(conn.exec_driver_sql(query).scalar_one())

    for _ in range(200):
        if await asyncio.to_thread(count):
            return
        await asyncio.sleep(0.05)
    pytest.fail("the broker never started listening")


def test_concurrent_commits_arrive_once_each_in_version_order(committed_rt: Runtime) -> None:
    cards = [new_card(committed_rt) for _ in range(4)]

    async def scenario() -> list[int]:
        broker = ListBroker(committed_rt, safety_interval=NEVER)
        await broker.start()
        try:
            subscription = broker.subscribe("000000")
            if committed_rt.engine.dialect.name == "postgresql":
                await _listening(committed_rt)
            await asyncio.gather(*(asyncio.to_thread(_lose_and_find, committed_rt, card, 3) for card in cards))
            return [change.version for change in [await next_change(subscription) for _ in range(24)] if change]
        finally:
            await broker.stop()

    assert asyncio.run(scenario()) == list(range(1, 25))


def _lose_and_find(rt: Runtime, card_no: str, times: int) -> None:
    for _ in range(times):
        report_lost(rt, card_no)
        lift(rt, card_no)


def test_a_subscriber_sees_only_its_scope(sqlite_rt: Runtime) -> None:
    beijing, zhangjiakou = new_card(sqlite_rt, "110105"), new_card(sqlite_rt, "130702", bank="ZJKB")

    async def scenario() -> tuple[list[ListEvent | None], list[ListEvent | None]]:
        broker = ListBroker(sqlite_rt, safety_interval=NEVER)
        await broker.start()
        try:
            city, province = broker.subscribe("110100"), broker.subscribe("130000")
            await asyncio.to_thread(report_lost, sqlite_rt, beijing)
            await asyncio.to_thread(report_lost, sqlite_rt, zhangjiakou)
            await asyncio.to_thread(lift, sqlite_rt, beijing)
            return [await next_change(city), await next_change(city)], [await next_change(province)]
        finally:
            await broker.stop()

    city_changes, province_changes = asyncio.run(scenario())
    assert [(c.version, c.card_no) for c in city_changes if c] == [(1, beijing), (3, beijing)]
    assert [(c.version, c.card_no) for c in province_changes if c] == [(2, zhangjiakou)]


def test_a_slow_subscriber_is_dropped_and_the_others_keep_receiving(sqlite_rt: Runtime) -> None:
    card = new_card(sqlite_rt)

    async def scenario() -> tuple[list[int], list[ListEvent | None], bool]:
        broker = ListBroker(sqlite_rt, capacity=2, safety_interval=NEVER)
        await broker.start()
        try:
            slow, fast = broker.subscribe("110100"), broker.subscribe("110100")
            received = []
            for step in range(4):
                await asyncio.to_thread(lift if step % 2 else report_lost, sqlite_rt, card)
                change = await next_change(fast)
                received.append(change.version if change else -1)
            leftovers = [await next_change(slow) for _ in range(3)]
            return received, leftovers, slow.closed and broker.subscriber_count == 1
        finally:
            await broker.stop()

    received, leftovers, slow_was_dropped = asyncio.run(scenario())
    assert received == [1, 2, 3, 4]
    # What the slow one had queued, then the end of its stream: it resumes from version 2.
    assert [c.version if c else None for c in leftovers] == [1, 2, None]
    assert slow_was_dropped


def test_stopping_ends_every_subscription_and_refuses_new_ones(sqlite_rt: Runtime) -> None:
    async def scenario() -> ListEvent | None:
        broker = ListBroker(sqlite_rt, safety_interval=NEVER)
        await broker.start()
        subscription = broker.subscribe("110100")
        await broker.stop()
        with pytest.raises(StreamUnavailable):
            broker.subscribe("110100")
        return await next_change(subscription)

    assert asyncio.run(scenario()) is None


def test_the_safety_net_finds_a_change_no_one_announced(sqlite_rt: Runtime) -> None:
    card = new_card(sqlite_rt)
    # Another runtime on the same file: its commits fire no hook of this broker, as a
    # commit in another process would not.
    other = build_runtime(make_settings(), engine=sqlite_rt.engine, clock=FixedClock(START))

    async def scenario() -> ListEvent | None:
        broker = ListBroker(sqlite_rt, safety_interval=0.2)
        await broker.start()
        try:
            subscription = broker.subscribe("110100")
            await asyncio.to_thread(report_lost, other, card)
            return await next_change(subscription)
        finally:
            await broker.stop()

    change = asyncio.run(scenario())
    assert change is not None
    assert change.card_no == card


def test_metrics_show_the_subscribers_and_the_version(sqlite_rt: Runtime) -> None:
    card = new_card(sqlite_rt)
    report_lost(sqlite_rt, card)

    def gauge(name: str) -> float:
        value = REGISTRY.get_sample_value(name)
        assert value is not None
        return value

    async def scenario() -> tuple[float, float, float, float]:
        broker = ListBroker(sqlite_rt, safety_interval=NEVER)
        before = gauge("sscard_invalid_list_stream_subscribers")
        await broker.start()
        try:
            version = gauge("sscard_invalid_list_version")
            subscription = broker.subscribe("110100")
            during = gauge("sscard_invalid_list_stream_subscribers")
            broker.unsubscribe(subscription)
            return before, during, gauge("sscard_invalid_list_stream_subscribers"), version
        finally:
            await broker.stop()

    before, during, after, version = asyncio.run(scenario())
    assert (during - before, after - before) == (1, 0)
    assert version == version_now(sqlite_rt) == 1


def test_the_commit_hook_forgets_the_pending_versions_on_commit_and_on_rollback(sqlite_rt: Runtime) -> None:
    card = new_card(sqlite_rt)
    report = NewLossReport(kind=ReportKind.PROVISIONAL, channel=Channel.COUNTER)

    def change_then(*, commit: bool) -> dict[object, object]:
        with sqlite_rt.sessions() as session:
            session.begin()
            unit = Unit(session=session, runtime=sqlite_rt, actor=factories.principal(Role.CLERK), now=START)
            report_loss(unit, card, report)
            assert session.info[PENDING_CHANGES]
            if commit:
                session.commit()
            else:
                session.rollback()
            return dict(session.info)

    async def scenario() -> tuple[dict[object, object], dict[object, object]]:
        broker = ListBroker(sqlite_rt, safety_interval=NEVER)
        await broker.start()
        try:
            rolled_back = await asyncio.to_thread(change_then, commit=False)
            return rolled_back, await asyncio.to_thread(change_then, commit=True)
        finally:
            await broker.stop()

    rolled_back, committed = asyncio.run(scenario())
    assert PENDING_CHANGES not in rolled_back
    assert PENDING_CHANGES not in committed
    assert version_now(sqlite_rt) == 1  # the rolled-back change took no version
