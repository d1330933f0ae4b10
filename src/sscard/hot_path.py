"""Statements that every settlement runs, sent past SQLAlchemy's execution machinery on
PostgreSQL (issue 14, B1).

SQLAlchemy spends about 90 µs of CPU to run one compiled statement through a session
(execution context, cache key, result wrapping) where psycopg itself spends about 35;
a settlement runs nine, which made the interpreter, not the database, B1's limit. A
HotStatement is compiled by SQLAlchemy once per set of parameter names and then sent
through psycopg's cursor on the session's own connection, inside its transaction, as a
server-side prepared statement. Elsewhere (SQLite) the session runs it as usual.

It autoflushes as an ORM query does, so pending changes are seen. Driver errors come out as
SQLAlchemy's (`DBAPIError`), and a lost connection is invalidated as SQLAlchemy would,
so outage handling (sscard.db.outage_of) sees no difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from psycopg.types.json import Json
from sqlalchemy import Connection, CursorResult
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import Compiled


class HotStatement:
    """One statement of the hot path; `elsewhere` is what other databases run instead
    (a dialect's own upsert), the same statement when not given."""

    def __init__(self, statement: Executable, *, elsewhere: Executable | None = None) -> None:
        self.statement = statement
        self.elsewhere = statement if elsewhere is None else elsewhere
        self._compiled: dict[frozenset[str], Compiled] = {}

    def rows(self, session: Session, params: Mapping[str, Any]) -> Sequence[Any]:
        """Every row (attributes by column name), or none for a statement without rows."""
        if session.autoflush:
            session.flush()  # returns at once when nothing is pending
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            result = session.execute(self.elsewhere, dict(params))
            return [] if isinstance(result, CursorResult) and not result.returns_rows else list(result)
        compiled = self._compile(connection.dialect, params)
        return _run(connection, compiled.string, compiled.construct_params(params))  # type: ignore[arg-type]

    def first(self, session: Session, params: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        found = self.rows(session, params)
        return found[0] if found else None

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> Compiled:
        names = frozenset(params)
        compiled = self._compiled.get(names)
        if compiled is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=sorted(names))  # type: ignore[attr-defined]
            _require_no_defaults(compiled)
            self._compiled[names] = compiled
        return compiled


def _require_no_defaults(compiled: Compiled) -> None:
    # Column defaults are computed by SQLAlchemy's execution context, which this path
    # skips: an INSERT or UPDATE must be given every value it writes.
    computed = [*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ())]
    if computed:
        raise TypeError(f"a hot statement must be given every value; defaults for {[c.name for c in computed]}")


def _run(connection: Connection, sql: str, params: Mapping[str, Any]) -> Sequence[Any]:
    driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
    values = {name: Json(value) if isinstance(value, dict | list) else value for name, value in params.items()}
    with driver.cursor(row_factory=namedtuple_row) as cursor:
        try:
            cursor.execute(sql, values, prepare=True)
            return cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as error:
            raise _as_sqlalchemy_error(connection, driver, cursor, sql, params, error) from error


def _as_sqlalchemy_error(
    connection: Connection,
    driver: psycopg.Connection[Any],
    cursor: psycopg.Cursor[Any],
    sql: str,
    params: Mapping[str, Any],
    error: psycopg.Error,
) -> StatementError:
    lost = connection.dialect.is_disconnect(error, driver, cursor)  # type: ignore[arg-type]
    if lost:
        connection.invalidate(error)
    return DBAPIError.instance(
        sql, dict(params), error, psycopg.Error, connection_invalidated=lost, dialect=connection.dialect
    )
