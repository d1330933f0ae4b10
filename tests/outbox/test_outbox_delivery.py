"""The outbox on real databases, with committed transactions (R-NOTE-1's "at most once,
after its transaction commits, and retried until the gateway accepts it").

A message exists iff its transaction committed; a worker that dies between the send
and the mark lets it come due again after the lease, and the receiver drops the repeat
by its key; two workers draining at once deliver each message once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from sscard.banks.models import BankEvent
from sscard.clock import china_date
from sscard.events import event_from_payload
from sscard.jobs import _wait_and_drain
from sscard.notifications.models import Notification
from sscard.notifications.service import tell
from sscard.notifications.sms import FileSender
from sscard.notifications.texts import Kind
from sscard.outbox import LEASE, Delivered, OutboxMessage, _claim, drain
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests.concurrency import in_unit
from tests.outbox.receivers import SmsGateway
from tests.outbox.runtimes import (
    CLERK,
    clock_of,
    committed_runtime,
    count,
    database_url,
    holder_with_card,
    outbox_rows,
    report_lost,
)

KEY = "gateway-api-key-0123456789"


class Boom(Exception):
    """Something goes wrong after the change, before the commit."""


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    server = SmsGateway().start()
    yield server
    server.stop()


@pytest.fixture
def committed(blank_database: str, tmp_path: Path) -> Iterator[Runtime]:
    """A committing runtime whose SMS go to a FileSender under tmp_path."""
    with committed_runtime(blank_database, tmp_path / "var", sms_file=tmp_path / "sms.jsonl") as rt:
        yield rt


@pytest.fixture
def via_gateway(blank_database: str, tmp_path: Path, gateway: SmsGateway) -> Iterator[Runtime]:
    """A committing runtime whose SMS go to the loopback gateway."""
    with committed_runtime(
        blank_database, tmp_path / "var", sms_gateway_url=gateway.url, sms_gateway_key=KEY, sms_timeout_seconds=1
    ) as rt:
        yield rt


def file_sender(rt: Runtime) -> FileSender:
    assert isinstance(rt.sms, FileSender)
    return rt.sms


def sms_row(rt: Runtime) -> OutboxMessage:
    (row,) = outbox_rows(rt, "sms")
    return row


def test_outbox_a_message_exists_iff_its_transaction_committed(committed: Runtime) -> None:
    _, card_no = holder_with_card(committed)
    before = count(committed, OutboxMessage)
    committed.outbox_wakeup.clear()

    def report_then_fail(unit: Unit) -> None:
        report_lost(unit, card_no)
        raise Boom

    with pytest.raises(Boom):
        in_unit(committed, CLERK, report_then_fail)
    assert count(committed, OutboxMessage) == before
    assert count(committed, Notification) == count(committed, BankEvent) == 0
    assert not committed.outbox_wakeup.is_set()
    assert drain(committed) == 0
    assert file_sender(committed).messages() == []

    in_unit(committed, CLERK, lambda unit: report_lost(unit, card_no))
    assert sorted(m.topic for m in outbox_rows(committed)[before:]) == ["bank_push", "sms"]
    assert committed.outbox_wakeup.is_set()
    assert drain(committed) == 2
    (sms,) = file_sender(committed).messages()
    assert sms["key"] == sms_row(committed).key
    assert card_no[-4:] in sms["text"]
    assert card_no not in sms["text"]


def die_after_sending(rt: Runtime) -> None:
    """A worker that claims a message and delivers it, then dies before marking it done."""
    claimed = _claim(rt)
    assert claimed is not None
    message_id, topic, payload, _ = claimed
    rt.bus.delivery(topic)(rt, Delivered(key=f"sscard-outbox-{message_id}", event=event_from_payload(payload)))


def lost_card_with_sms(rt: Runtime) -> int:
    """A holder with a phone whose loss report queued one SMS; the bank's message done."""
    person_id, card_no = holder_with_card(rt)
    in_unit(rt, CLERK, lambda unit: report_lost(unit, card_no))
    for row in outbox_rows(rt):
        if row.topic != "sms":
            with rt.sessions.begin() as session:
                session.get_one(OutboxMessage, row.id).done_at = rt.clock.now()
    return person_id


def test_r_note_1_a_worker_dying_after_the_send_sends_again_under_the_same_key_once_the_lease_passes(
    committed: Runtime,
) -> None:
    lost_card_with_sms(committed)
    die_after_sending(committed)
    (first,) = file_sender(committed).messages()
    assert sms_row(committed).done_at is None

    assert drain(committed) == 0  # the dead worker's lease still holds it
    clock_of(committed).advance(LEASE + timedelta(seconds=1))
    assert drain(committed) == 1

    row = sms_row(committed)
    assert row.done_at is not None
    assert row.attempts == 2
    assert file_sender(committed).messages() == [first]
    assert first["key"] == row.key


def test_r_note_1_the_gateway_gets_the_repeat_after_a_crash_under_the_same_key_and_keeps_one(
    via_gateway: Runtime, gateway: SmsGateway
) -> None:
    person_id = lost_card_with_sms(via_gateway)
    die_after_sending(via_gateway)
    clock_of(via_gateway).advance(LEASE + timedelta(seconds=1))
    assert drain(via_gateway) == 1

    key = sms_row(via_gateway).key
    assert gateway.sends_per_key() == {key: 2}
    assert list(gateway.messages()) == [key]
    request = gateway.accepted()[0]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    with via_gateway.sessions() as session:
        (note,) = session.query(Notification).filter_by(person_id=person_id)
        assert gateway.messages()[key] == {"to": note.phone, "text": note.text}
        assert note.state == "sent"


def notifications_of(rt: Runtime) -> list[Notification]:
    with rt.sessions() as session:
        return list(session.query(Notification).order_by(Notification.id))


def test_r_note_1_a_gateway_that_is_down_delays_the_messages_and_loses_none(
    via_gateway: Runtime, gateway: SmsGateway
) -> None:
    clock = clock_of(via_gateway)
    for _ in range(3):
        lost_card_with_sms(via_gateway)
    gateway.status = 503
    drain(via_gateway)
    rows = outbox_rows(via_gateway, "sms")
    assert [(r.attempts, r.done_at) for r in rows] == [(1, None)] * 3
    assert all("503" in (r.last_error or "") for r in rows)
    assert [(n.state, n.sent_at) for n in notifications_of(via_gateway)] == [("queued", None)] * 3
    assert all("503" in (n.last_error or "") for n in notifications_of(via_gateway))

    gateway.stop()  # now it does not even answer
    clock.advance(timedelta(seconds=3))
    drain(via_gateway)
    rows = outbox_rows(via_gateway, "sms")
    assert [(r.attempts, r.done_at) for r in rows] == [(2, None)] * 3
    assert all("ConnectError" in (r.last_error or "") for r in rows)

    gateway.status = 200
    gateway.start()
    assert drain(via_gateway) == 0  # each waits out its backoff (4 s after the second failure)
    clock.advance(timedelta(seconds=5))
    assert drain(via_gateway) == 3

    keys = [r.key for r in outbox_rows(via_gateway, "sms")]
    assert gateway.sends_per_key() == dict.fromkeys(keys, 1)
    assert all(r.done_at is not None and r.last_error is None for r in outbox_rows(via_gateway, "sms"))
    notes = notifications_of(via_gateway)
    assert [(n.state, n.sent_at, n.last_error) for n in notes] == [("sent", clock.now(), None)] * 3
    assert sorted(m["text"] for m in gateway.messages().values()) == sorted(n.text for n in notes)


@pytest.mark.postgres_only
def test_r_note_1_two_workers_draining_at_once_deliver_every_message_exactly_once(
    via_gateway: Runtime, gateway: SmsGateway, tmp_path: Path
) -> None:
    if via_gateway.engine.dialect.name != "postgresql":
        pytest.skip("two workers on one database is a PostgreSQL deployment (row locks, SKIP LOCKED)")
    person_id, _ = holder_with_card(via_gateway)
    today = china_date(via_gateway.clock.now()).isoformat()

    def queue(unit: Unit) -> None:
        for n in range(40):
            tell(unit, person_id, Kind.LOSS_REPORTED, card=f"{n:04d}", date=today)

    in_unit(via_gateway, CLERK, queue)
    gateway.delay = 0.005  # long enough for the two workers' sends to interleave
    with committed_runtime(
        database_url(via_gateway), tmp_path / "other", migrate=False, sms_gateway_url=gateway.url, sms_gateway_key=KEY
    ) as other:
        start = threading.Barrier(2)

        def worker(rt: Runtime) -> int:
            start.wait()
            return drain(rt)

        with ThreadPoolExecutor(2) as pool:
            handled = list(pool.map(worker, [via_gateway, other]))

    assert sum(handled) == 40
    keys = [r.key for r in outbox_rows(via_gateway, "sms")]
    assert gateway.sends_per_key() == dict.fromkeys(keys, 1)
    assert all(r.done_at is not None and r.attempts == 1 for r in outbox_rows(via_gateway, "sms"))
    assert {n.state for n in notifications_of(via_gateway)} == {"sent"}


def test_outbox_a_commit_that_queued_messages_wakes_the_drainer_at_once(committed: Runtime) -> None:
    _, card_no = holder_with_card(committed)
    drain(committed)
    committed.outbox_wakeup.clear()
    in_unit(committed, CLERK, lambda unit: report_lost(unit, card_no))
    started = time.monotonic()
    assert _wait_and_drain(committed, 2.0) == 2  # not after the 2 s poll: the commit woke it
    assert time.monotonic() - started < 1.5
    assert len(file_sender(committed).messages()) == 1
