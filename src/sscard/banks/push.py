"""Pushing a bank's events to its endpoint, signed, in order, after commit (R-NOTE-2).

The bank_events table is the banks' outbox: an event is written in the transaction of
the change it reports. An outbox message wakes the pusher for that bank, which sends
every event the bank has not acknowledged, oldest first, one at a time, and moves the
bank's cursor after each 2xx. Two workers never push one bank at once: the endpoint row
is locked while an event is sent, and the next one is read under a new lock. A failure
stops the push there, so nothing overtakes an event the bank has not taken.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import TYPE_CHECKING

import httpx2
from sqlalchemy import select

from sscard.banks.models import BankEndpoint, BankEvent
from sscard.banks.schemas import bank_event_read
from sscard.banks.service import BankEventRecorded
from sscard.db import transaction

if TYPE_CHECKING:
    from sscard.outbox import Delivered
    from sscard.runtime import Runtime

log = logging.getLogger("sscard.banks.push")

SIGNATURE_HEADER = "Sscard-Signature"


class PushPending(RuntimeError):
    """The bank did not take every event: the outbox tries again after its backoff."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Sscard-Signature header: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t." + body)>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event_body(event: BankEvent) -> bytes:
    """An event as the bank receives it: the JSON of an item of GET /v1/bank-events."""
    return bank_event_read(event).model_dump_json().encode()


def deliver(rt: Runtime, delivered: Delivered) -> None:
    """The outbox's delivery for BankEventRecorded: push the bank's pending events."""
    event: BankEventRecorded = delivered.event
    push_bank(rt, event.bank)


def push_bank(rt: Runtime, bank: str) -> int:
    """Send the bank's unacknowledged events in order; how many it took."""
    sent = 0
    while _push_next(rt, bank):
        sent += 1
    return sent


def _push_next(rt: Runtime, bank: str) -> bool:
    # One transaction per event: its commit releases the endpoint's lock, so the next
    # event is read under a fresh lock, after whatever another worker pushed meanwhile.
    with transaction(rt.sessions) as session:
        endpoint = session.scalars(
            select(BankEndpoint).where(BankEndpoint.bank == bank).with_for_update(skip_locked=True)
        ).one_or_none()
        if endpoint is None:
            # None registered (the bank polls), or another worker is pushing it now.
            return False if session.get(BankEndpoint, bank) is None else _busy()
        event = session.scalars(
            select(BankEvent)
            .where(BankEvent.bank == bank, BankEvent.id > endpoint.pushed_through)
            .order_by(BankEvent.id)
            .limit(1)
        ).first()
        if event is None:
            return False
        try:
            _post(rt, endpoint, event)
        except PushPending as exc:
            endpoint.failures, endpoint.last_error = endpoint.failures + 1, str(exc)[:500]
            session.commit()  # keep the failure count; the outbox retries after its backoff
            raise
        endpoint.pushed_through, endpoint.failures, endpoint.last_error = event.id, 0, None
        return True  # committed on leaving: the bank took it, never send it again


def _busy() -> bool:
    raise PushPending("another worker is pushing this bank's events")


def _post(rt: Runtime, endpoint: BankEndpoint, event: BankEvent) -> None:
    body = event_body(event)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(endpoint.secret, int(rt.clock.now().timestamp()), body),
    }
    try:
        response = rt.bank_http.post(endpoint.url, content=body, headers=headers)
    except httpx2.HTTPError as exc:
        raise PushPending(f"{endpoint.bank}: {type(exc).__name__}: {exc}") from exc
    if not response.is_success:
        raise PushPending(f"{endpoint.bank}: HTTP {response.status_code}")
