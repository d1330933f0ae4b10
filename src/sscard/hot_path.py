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

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Json
from sqlalchemy import Connection, CursorResult
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler


class HotStatement:
    """One statement of the hot path; `elsewhere` is what other databases run instead
    (a dialect's own upsert), the same statement when not given."""

    def __init__(self, statement: Executable, *, elsewhere: Executable | None = None) -> None:
        self.statement = statement
        self.elsewhere = statement if elsewhere is None else elsewhere
        self._compiled: dict[frozenset[str], _Compiled] = {}

    def rows(self, session: Session, params: Mapping[str, Any]) -> Sequence[Any]:
        """Every row (attributes by column name), or none for a statement without rows."""
        if session.autoflush:
            session.flush()  # returns at once when nothing is pending
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            result = session.execute(self.elsewhere, dict(params))
            return [] if isinstance(result, CursorResult) and not result.returns_rows else list(result)
        return self._compile(connection.dialect, params).run(connection, params)

    def first(self, session: Session, params: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        found = self.rows(session, params)
        return found[0] if found else None

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled:
        names = frozenset(params)
        compiled = self._compiled.get(names)
        if compiled is None:
            compiled = _Compiled(
                self.statement.compile(dialect=dialect, column_keys=sorted(names)),  # type: ignore[attr-defined]
                params,
            )
            self._compiled[names] = compiled
        return compiled


class _Compiled:
    """A statement compiled for one set of parameter names: its SQL, the values that
    SQLAlchemy binds by itself (computed once), and the type of its rows (made from the
    first run's columns), so that a run does no more than psycopg's own work."""

    def __init__(self, compiled: SQLCompiler, params: Mapping[str, Any]) -> None:
        _require_no_defaults(compiled)
        self.sql = compiled.string
        self.literals = _literals(compiled, params)
        self._row: Callable[[tuple[Any, ...]], Any] | None = None
        self._returns_rows = True

    def run(self, connection: Connection, params: Mapping[str, Any]) -> Sequence[Any]:
        values = self.literals | {name: _adapted(value) for name, value in params.items()}
        driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
        with driver.cursor(row_factory=tuple_row) as cursor:
            try:
                cursor.execute(self.sql, values, prepare=True)
                return self._rows(cursor)
            except psycopg.Error as error:
                raise _as_sqlalchemy_error(connection, driver, cursor, self.sql, values, error) from error

    def _rows(self, cursor: psycopg.Cursor[tuple[Any, ...]]) -> Sequence[Any]:
        if self._row is None:  # the first run: the statement's columns, once
            self._returns_rows = cursor.description is not None
            names = [column.name for column in cursor.description or ()]
            row_type: Any = namedtuple("Row", names, rename=True)  # type: ignore[misc]  # names known at run time
            self._row = row_type._make
        return [self._row(row) for row in cursor.fetchall()] if self._returns_rows else []


def _adapted(value: Any) -> Any:
    return Json(value) if isinstance(value, dict | list) else value


def _require_no_defaults(compiled: SQLCompiler) -> None:
    # Column defaults are computed by SQLAlchemy's execution context, which this path
    # skips: an INSERT or UPDATE must be given every value it writes.
    computed = [*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ())]
    if computed:
        raise TypeError(f"a hot statement must be given every value; defaults for {[c.name for c in computed]}")


def _literals(compiled: SQLCompiler, params: Mapping[str, Any]) -> dict[str, Any]:
    """What SQLAlchemy binds besides the caller's parameters (a literal, as in
    `status > 200`): the same on every run, so computed once. The caller's names must be
    the statement's own bind names, and no value may be computed per run."""
    bound = compiled.construct_params(params)
    per_run = [name for name, bind in compiled.binds.items() if bind.callable is not None and name not in params]
    renamed = [name for name in params if name not in bound or bound[name] is not params[name]]
    if per_run or renamed:
        raise TypeError(f"a hot statement binds only literals and given names; not {per_run + renamed}")
    return {name: _adapted(value) for name, value in bound.items() if name not in params}


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
