"""The outbox's backlog in /metrics: how many messages wait and for how long (the
`SSCARD outbox` alerts of deploy/prometheus/alerts.yml)."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from sscard.clock import FixedClock
from sscard.db import transaction
from sscard.jobs import SYSTEM
from sscard.outbox import OutboxMessage, enqueue, measure
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests.api import Api


def _gauge(api: Api, name: str) -> float:
    for family in text_string_to_metric_families(api.metrics().text):
        for point in family.samples:
            if point.name == name:
                return float(point.value)
    raise AssertionError(f"{name} is not in /metrics")


def _measure(rt: Runtime) -> int:
    with transaction(rt.sessions) as session:
        return measure(Unit(session=session, runtime=rt, actor=SYSTEM, now=rt.clock.now()))


def test_the_backlog_and_the_age_of_its_oldest_message_are_in_metrics(api: Api, rt: Runtime, clock: FixedClock) -> None:
    with transaction(rt.sessions) as session:
        enqueue(session, "sms", {"to": "13800000000", "text": "x"}, clock.now())
    clock.advance(timedelta(seconds=90))
    with transaction(rt.sessions) as session:
        enqueue(session, "sms", {"to": "13800000001", "text": "y"}, clock.now())
        pending = session.query(OutboxMessage).filter(OutboxMessage.done_at.is_(None)).count()
    assert _measure(rt) == pending
    assert _gauge(api, "sscard_outbox_pending") == pending
    assert _gauge(api, "sscard_outbox_oldest_pending_seconds") >= 90

    with transaction(rt.sessions) as session:
        session.query(OutboxMessage).filter(OutboxMessage.done_at.is_(None)).update({"done_at": clock.now()})
    assert _measure(rt) == 0
    assert _gauge(api, "sscard_outbox_pending") == 0
    assert _gauge(api, "sscard_outbox_oldest_pending_seconds") == 0
