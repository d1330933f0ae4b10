"""The fan-out behind the stream: a change is encoded once, a stream takes every change
that piled up in one write, and the broker's one timer beats the heart of quiet streams."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sscard.clock import FixedClock
from sscard.invalid_list.broker import ListBroker, ListEvent, Subscription
from sscard.invalid_list.stream import HEARTBEAT, _frame, _live
from sscard.runtime import Runtime, build_runtime
from tests.conftest import START, make_settings, migrated_engine

NEVER = 3600.0


def change(version: int) -> ListEvent:
    return ListEvent(version, f"1101050000{version:02d}", "add", "lost", datetime(2026, 1, 2, tzinfo=UTC), "110105")


@pytest.fixture
def sqlite_rt(tmp_path: Path) -> Iterator[Runtime]:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'fanout.db'}")
    yield build_runtime(make_settings(), engine=engine, clock=FixedClock(START))
    engine.dispose()


def test_a_change_is_encoded_once_for_every_stream() -> None:
    first = _frame(change(7))
    assert _frame(change(7)) is first  # an equal event from another read: the same bytes
    assert b"event: change\n" in first
    assert b"id: 7\n" in first
    assert b'"card_no":"110105000007"' in first


def test_a_stream_takes_what_piled_up_then_a_heartbeat_then_the_end() -> None:
    async def scenario() -> list[list[ListEvent] | None]:
        subscription = Subscription("110100", capacity=10)
        for version in (1, 2, 3):
            subscription.offer(change(version))
        taken = [await subscription.take()]
        subscription.heartbeat()
        taken.append(await subscription.take())
        subscription.offer(change(4))
        subscription.close()
        return [*taken, await subscription.take(), await subscription.take()]

    changes, heartbeat, last, end = asyncio.run(scenario())
    assert [c.version for c in changes or []] == [1, 2, 3]
    assert heartbeat == []
    assert [c.version for c in last or []] == [4]  # what was queued still goes out
    assert end is None


def test_a_waiting_stream_wakes_for_a_change() -> None:
    async def scenario() -> list[ListEvent] | None:
        subscription = Subscription("110100", capacity=10)
        waiting = asyncio.create_task(subscription.take())
        await asyncio.sleep(0.01)
        assert not waiting.done()
        subscription.offer(change(1))
        return await asyncio.wait_for(waiting, 5)

    assert [c.version for c in asyncio.run(scenario()) or []] == [1]


def test_live_changes_go_out_in_one_write_skipping_those_the_backlog_sent() -> None:
    async def scenario() -> list[bytes]:
        subscription = Subscription("110100", capacity=10)
        for version in (1, 2, 3, 4):
            subscription.offer(change(version))
        subscription.heartbeat()
        subscription.close()
        return [chunk async for chunk in _live(subscription, cursor=2)]

    (chunk,) = asyncio.run(scenario())  # and no heartbeat: the stream was not quiet
    assert chunk == _frame(change(3)) + _frame(change(4))


def test_a_heartbeat_goes_to_a_quiet_stream_within_the_interval(sqlite_rt: Runtime) -> None:
    interval = 0.6

    async def scenario() -> tuple[list[ListEvent] | None, float]:
        broker = ListBroker(sqlite_rt, safety_interval=NEVER, heartbeat_interval=interval)
        await broker.start()
        try:
            subscription = broker.subscribe("110100")
            started = time.monotonic()
            taken = await asyncio.wait_for(subscription.take(), 5)
            return taken, time.monotonic() - started
        finally:
            await broker.stop()

    taken, waited = asyncio.run(scenario())
    assert taken == []
    # Not before two thirds of the interval of quiet; not much later than the interval.
    assert interval * 2 / 3 - 0.05 <= waited <= interval + 0.5


def test_the_stream_sends_the_heartbeat_comment_when_the_broker_asks() -> None:
    async def scenario() -> list[bytes]:
        subscription = Subscription("110100", capacity=10)
        subscription.heartbeat()
        live = _live(subscription, cursor=0)
        first = await anext(live)
        subscription.close()
        return [first, *[chunk async for chunk in live]]

    assert asyncio.run(scenario()) == [HEARTBEAT]
