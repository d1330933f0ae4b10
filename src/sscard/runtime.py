"""What a running sscard holds for its whole life: settings, database, keys, clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sscard.auth.passwords import Passwords
from sscard.auth.tokens import TokenSigner
from sscard.cards import cryptogram
from sscard.cards.pin import PinHasher
from sscard.clock import Clock, OffsetClock, SystemClock
from sscard.db import make_engine, make_read_sessionmaker, make_sessionmaker
from sscard.settings import Settings


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
    )
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions or make_sessionmaker(engine),
        read_sessions=sessions or make_read_sessionmaker(engine),
        clock=clock or (OffsetClock() if settings.demo else SystemClock()),
        pins=PinHasher(settings.secret),
        tokens=TokenSigner(settings.secret, timedelta(seconds=settings.token_ttl_seconds)),
        passwords=Passwords(settings.password_hash_profile),
    )
