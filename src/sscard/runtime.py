"""What a running sscard holds for its whole life: settings, database, keys, clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

import httpx2
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from sscard import outbox
from sscard.auth.passwords import Passwords
from sscard.auth.tokens import TokenSigner
from sscard.cards import cryptogram
from sscard.cards.pin import PinHasher
from sscard.clock import Clock, OffsetClock, SystemClock
from sscard.db import BoundedWaits, make_engine, make_read_sessionmaker, make_sessionmaker
from sscard.events import Bus
from sscard.notifications.sms import FileSender, GatewaySender, SmsSender
from sscard.policy.rules import Policy
from sscard.policy.service import policy_for
from sscard.settings import Settings
from sscard.subscriptions import build_bus


@dataclass(frozen=True)
class Runtime:
    """Long-lived collaborators, built once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # For routes that only read: see db.make_read_sessionmaker.
    read_sessions: sessionmaker[Session]
    clock: Clock
    pins: PinHasher
    tokens: TokenSigner
    passwords: Passwords
    bus: Bus
    sms: SmsSender
    # For pushing bank events (R-NOTE-2): short timeouts, a push is retried anyway.
    bank_http: httpx2.Client
    # Set after a commit that wrote outbox messages: the drainer wakes at once.
    outbox_wakeup: threading.Event = field(default_factory=threading.Event)

    def policy(self, session: Session, region: str) -> Policy:
        """The policy in force for a region now."""
        return policy_for(session, region)

    def card_key(self, card_no: str) -> bytes:
        """R-SET-6: a card's own key, derived again whenever it is needed, never stored."""
        return cryptogram.card_key(self.settings.issuer_master_key, card_no)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    sessions: sessionmaker[Session] | None = None,
) -> Runtime:
    """Wire the runtime from settings; tests pass their own engine, sessions or clock."""
    engine = engine or make_engine(
        settings.resolved_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=settings.db_pre_ping,
        pool_timeout=settings.db_pool_timeout_seconds,
        limits=bounded_waits(settings),
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions or make_sessionmaker(engine),
        read_sessions=sessions or make_read_sessionmaker(engine),
        clock=clock or (OffsetClock() if settings.demo else SystemClock()),
        pins=PinHasher(settings.secret),
        tokens=TokenSigner(settings.secret, timedelta(seconds=settings.token_ttl_seconds)),
        passwords=Passwords(settings.password_hash_profile),
        bus=build_bus(),
        sms=sms_sender(settings),
        bank_http=httpx2.Client(timeout=settings.bank_push_timeout_seconds),
    )
    wake_outbox_after_commit(runtime)
    return runtime


def bounded_waits(settings: Settings) -> BoundedWaits:
    """How long a connection may wait on PostgreSQL (issue 14), from the settings."""
    return BoundedWaits(
        connect_seconds=settings.db_connect_timeout_seconds,
        statement_ms=settings.db_statement_timeout_ms,
        lock_ms=settings.db_lock_timeout_ms,
    )


def wake_outbox_after_commit(rt: Runtime) -> None:
    """A commit that wrote outbox messages wakes this process's drainer at once."""

    @event.listens_for(rt.sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(outbox.PENDING, False):
            rt.outbox_wakeup.set()

    @event.listens_for(rt.sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(outbox.PENDING, None)


def sms_sender(settings: Settings) -> SmsSender:
    """The gateway when one is configured, else the messages file under var_dir."""
    if settings.sms_gateway_url:
        key = settings.sms_gateway_key.get_secret_value() if settings.sms_gateway_key else ""
        return GatewaySender(settings.sms_gateway_url, key, timeout=settings.sms_timeout_seconds)
    return FileSender(settings.sms_file or settings.var_dir / "messages.jsonl")
