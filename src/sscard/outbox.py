"""The transactional outbox: what must leave the system once a transaction commits.

A message is written in the same transaction as the change it announces, so it exists
if and only if the change committed. Delivery runs after commit: a worker claims a due
message for a lease (so two workers never take the same one, and a worker that dies
mid-send lets it become due again), delivers it, and marks it done; a failure makes it
due again after a backoff. Deliveries therefore happen at least once: each carries the
message's own key, by which the receiver (an SMS gateway, a bank) drops a repeat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import Gauge
from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from sscard.db import Base, UTCDateTime, transaction
from sscard.events import event_from_payload

if TYPE_CHECKING:
    from sscard.runtime import Runtime
    from sscard.unit import Unit

log = logging.getLogger("sscard.outbox")

# Counts in the database, which every worker's jobs take: the newest measure stands.
BACKLOG = Gauge(
    "sscard_outbox_pending",
    "Outbox messages not delivered yet (due, being sent or backing off)",
    multiprocess_mode="mostrecent",
)
OLDEST = Gauge(
    "sscard_outbox_oldest_pending_seconds",
    "Age of the oldest undelivered outbox message (0: none)",
    multiprocess_mode="mostrecent",
)

LEASE = timedelta(seconds=60)
MAX_DELAY_SECONDS = 600


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "due_at",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def key(self) -> str:
        """The idempotency key a receiver deduplicates by: stable across retries."""
        return f"sscard-outbox-{self.id}"


def enqueue(session: Session, topic: str, payload: dict[str, Any], now: datetime) -> None:
    """Write a message in the session's transaction, due at once."""
    session.add(OutboxMessage(topic=topic, payload=payload, created_at=now, due_at=now, attempts=0))
    session.info[PENDING] = True


# Session.info key: this transaction wrote outbox messages (the drainer is woken after commit).
PENDING = "sscard.outbox.pending"


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the nth failed attempt: doubling from 2 s, at most 10 min."""
    return timedelta(seconds=min(2 ** max(attempts, 1), MAX_DELAY_SECONDS))


def measure(unit: Unit) -> int:
    """Set the backlog's gauges for /metrics (a scheduled job); how many are pending."""
    pending, oldest = unit.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.done_at.is_(None))
    ).one()
    BACKLOG.set(pending)
    OLDEST.set((unit.now - oldest).total_seconds() if oldest is not None else 0)
    return int(pending)


def drain(rt: Runtime, *, limit: int = 500) -> int:
    """Deliver due messages, oldest first, until none is due or `limit` are handled."""
    handled = 0
    while handled < limit:
        claimed = _claim(rt)
        if claimed is None:
            break
        _deliver(rt, *claimed)
        handled += 1
    return handled


def _claim(rt: Runtime) -> tuple[int, str, dict[str, Any], int] | None:
    now = rt.clock.now()
    with transaction(rt.sessions) as session:
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.done_at.is_(None), OutboxMessage.due_at <= now)
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        message = session.scalars(stmt).first()
        if message is None:
            return None
        message.attempts += 1
        message.due_at = now + LEASE  # a worker that dies mid-send lets it come due again
        return message.id, message.topic, message.payload, message.attempts


def _deliver(rt: Runtime, message_id: int, topic: str, payload: dict[str, Any], attempts: int) -> None:
    error: str | None = None
    try:
        rt.bus.delivery(topic)(rt, Delivered(key=f"sscard-outbox-{message_id}", event=event_from_payload(payload)))
    except Exception as exc:  # noqa: BLE001 (any failure of the receiver means: try again later)
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("outbox message %d (%s) failed, attempt %d: %s", message_id, topic, attempts, error)
    with transaction(rt.sessions) as session:
        message = session.get_one(OutboxMessage, message_id)
        now = rt.clock.now()
        if error is None:
            message.done_at, message.last_error = now, None
        else:
            message.due_at, message.last_error = now + retry_delay(attempts), error


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivered:
    """What a delivery receives: the event and the key to send it under."""

    key: str
    event: Any
