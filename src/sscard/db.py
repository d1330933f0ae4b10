"""Engine, sessions and the declarative base shared by every area's models."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import DateTime, Engine, MetaData, Select, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from sscard.errors import ServiceError
from sscard.outages import OUTCOME_UNKNOWN, SERVICE_UNAVAILABLE, Outage, Reason, classify

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base; constraint names follow NAMING_CONVENTION for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so without this an instant would come back naive there
    and aware on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class BoundedWaits:
    """How long a PostgreSQL connection waits for the server (issue 14): to open, for
    one statement, for one lock; and how long the server keeps a transaction that its
    client left idle (a request abandoned mid-way) before ending it."""

    connect_seconds: int = 2
    statement_ms: int = 10_000
    lock_ms: int = 3_000
    idle_in_transaction_ms: int = 30_000

    def connect_args(self) -> dict[str, Any]:
        """libpq's parameters: set once per connection, so they cost no round trip and
        hold for every transaction on it (0 is PostgreSQL's "no limit")."""
        options = (
            f"-c statement_timeout={self.statement_ms} -c lock_timeout={self.lock_ms} "
            f"-c idle_in_transaction_session_timeout={self.idle_in_transaction_ms}"
        )
        # Keepalives find a peer that vanished without a word (a host down, a cable cut).
        keepalives = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 2, "keepalives_count": 3}
        return {"connect_timeout": self.connect_seconds, "options": options, **keepalives}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite or PostgreSQL with the settings each needs; `limits`
    (BoundedWaits, as the runtime passes them from the settings) bounds a PostgreSQL
    connection's waits; without them a connection waits as long as PostgreSQL lets it."""
    limits: BoundedWaits | None = kwargs.pop("limits", None)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if limits is not None:
        kwargs["connect_args"] = limits.connect_args()
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        _create_private(Path(path))
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, start transactions (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # SQLite has no SELECT … FOR UPDATE: taking the write lock when the
        # transaction begins serialises writers, so a read-then-write never races.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _create_private(path: Path) -> None:
    # Persons, balances and hashes live in this file: readable by the service alone.
    # SQLite gives its -wal and -shm files the same mode.
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        path.touch(mode=0o600)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for routes that only read.

    On PostgreSQL each statement runs on its own (autocommit): no BEGIN and COMMIT
    round trips around a one-statement read. SQLite keeps ordinary transactions (its
    writers' BEGIN IMMEDIATE needs the commit that ends it).
    """
    if engine.dialect.name != "postgresql":
        return make_sessionmaker(engine)
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


class CommitOutcomeUnknown(Exception):
    """The connection was lost while COMMIT was on its way: the server may have
    committed or not (issue 14). Only the database can tell, once it answers again."""


class WorkAbandoned(Exception):
    """The unit of work was given up before its COMMIT was sent (its deadline passed,
    its client went away, its connection was lost), so it rolled back."""

    def __init__(self, detail: str, reason: Reason = Reason.DEADLINE) -> None:
        super().__init__(detail)
        self.reason = reason


class WorkGuard:
    """Lets a request give up a unit of work running on another thread: COMMIT is sent
    only while the work is still wanted, and the one who gives up learns whether it
    was already sent (issue 14)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._abandoned: Reason | None = None
        self._commit_sent = False

    def abandon(self, reason: Reason = Reason.DEADLINE) -> bool:
        """Give the work up (at its deadline, or because its client went away); True when
        its COMMIT had already been sent."""
        with self._lock:
            self._abandoned = self._abandoned or reason
            return self._commit_sent

    @property
    def abandoned(self) -> bool:
        """Whether the work was given up."""
        return self._abandoned is not None

    def commit_sending(self) -> None:
        """Called just before COMMIT: refuses (WorkAbandoned) once the work was given up."""
        with self._lock:
            if self._abandoned is not None:
                raise WorkAbandoned("the request was given up before it committed", self._abandoned)
            self._commit_sent = True


@contextmanager
def transaction(factory: sessionmaker[Session], guard: WorkGuard | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error — except a refusal
    marked keep_changes, whose trace is committed before it propagates."""
    with factory() as session:
        session.begin()
        try:
            yield session
        except ServiceError as exc:
            _commit(session, guard) if exc.keep_changes else session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        _commit(session, guard)


def _commit(session: Session, guard: WorkGuard | None) -> None:
    # The last statements first: a connection lost there is lost before COMMIT, so the
    # work surely rolled back; lost during COMMIT itself, nobody here knows.
    try:
        session.flush()
        if guard is not None:
            guard.commit_sending()
    except BaseException:
        session.rollback()
        raise
    try:
        session.commit()
    except DBAPIError as exc:
        if outage_of(exc, during_commit=True) == Outage(OUTCOME_UNKNOWN, Reason.CONNECTION_LOST):
            raise CommitOutcomeUnknown(str(exc.orig)) from exc
        raise


def log_failure(logger: logging.Logger, message: str, exc: BaseException) -> None:
    """Log a background task's failure: one line when the database is out (issue 14:
    no traceback storm while it restarts), the traceback when it is a fault of ours."""
    outage = outage_of(exc)
    if outage is None:
        logger.error(message, exc_info=exc)
    else:
        logger.warning("%s: the database is out (%s; %s)", message, outage.reason, one_line(exc))


def one_line(exc: BaseException) -> str:
    """The driver's error (or the exception) in one line, for a log."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    return f"{type(cause).__name__}: {text.splitlines()[0]}" if text else type(cause).__name__


def outage_of(exc: BaseException, *, during_commit: bool = False) -> Outage | None:
    """The outage an exception is (sscard.outages), or None when it is none."""
    if isinstance(exc, CommitOutcomeUnknown):
        return Outage(OUTCOME_UNKNOWN, Reason.CONNECTION_LOST)
    if isinstance(exc, WorkAbandoned):
        return Outage(SERVICE_UNAVAILABLE, exc.reason)
    if isinstance(exc, PoolTimeout):
        return classify(sqlstate=None, connection_lost=False, pool_timeout=True)
    if not isinstance(exc, DBAPIError) or isinstance(exc, (DataError, IntegrityError)):
        return None
    sqlstate: str | None = getattr(exc.orig, "sqlstate", None)
    if isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig):
        sqlstate = "55P03"  # SQLite's busy timeout ran out: a lock wait, as PostgreSQL's
    # psycopg names a failure of the server's with its SQLSTATE; one without is the
    # connection's own: refused, reset, closed.
    lost = exc.connection_invalidated or (
        isinstance(exc.orig, psycopg.OperationalError | psycopg.InterfaceError) and sqlstate is None
    )
    return classify(sqlstate=sqlstate, connection_lost=lost, during_commit=during_commit)


def newest_first(
    session: Session, stmt: Select[T], key: InstrumentedAttribute[int], before: int | None, limit: int
) -> tuple[Sequence[T], int | None]:
    """One page of rows by descending `key` below the cursor `before`, and the cursor of
    the next page (None at the end)."""
    if before is not None:
        stmt = stmt.where(key < before)
    rows = session.scalars(stmt.order_by(key.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return page, (getattr(page[-1], key.key) if len(rows) > limit else None)
