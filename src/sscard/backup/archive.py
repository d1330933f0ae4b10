"""Backing a database up to one file and restoring it into an empty database.

SQLite is copied through its online backup API (a consistent copy while the server
writes); PostgreSQL through `pg_dump -Fc` and `pg_restore`, Debian's client tools. A
backup holds persons, balances and PIN hashes, so its file is readable by its owner
alone (0600) from the moment it exists, and it appears under its name only once it is
whole.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import URL, inspect, make_url

from sscard.db import make_engine

BINDIR_ENV = "SSCARD_PG_BINDIR"
_PG_LIB_ROOT = Path("/usr/lib/postgresql")
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom format
_ERROR_TAIL = 2000


class BackupError(RuntimeError):
    """A backup or restore that did not happen, with the reason in words."""


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target` (which must not exist)."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    url = make_url(database_url)
    with _written_privately(target) as partial:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _run(_pg_tool("pg_dump"), ["-Fc", "--no-owner", "-f", str(partial), "-d", _libpq_uri(url)], url)


def restore(source: Path, database_url: str) -> None:
    """Load a backup into the database, which must be empty (no tables yet)."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    url = make_url(database_url)
    _require_empty(database_url)
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if url.get_backend_name() == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not an SQLite backup (made by `sscard db backup` from SQLite)")
        _sqlite_restore(source, _sqlite_path(url))
    else:
        if not head.startswith(PG_DUMP_MAGIC):
            raise BackupError(f"{source} is not a PostgreSQL backup (pg_dump's custom format)")
        options = ["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"]
        _run(_pg_tool("pg_restore"), [*options, "-d", _libpq_uri(url), str(source)], url)


@contextmanager
def _written_privately(target: Path) -> Iterator[Path]:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield partial
        with partial.open("rb") as file:
            os.fsync(file.fileno())  # on disk before it takes its name
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_backup(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
        live.backup(copy)
        # One self-contained file: no -wal beside it to lose.
        copy.execute("PRAGMA journal_mode=DELETE")


def _sqlite_restore(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as copy:
        try:
            verdict = copy.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is damaged: {exc}") from exc
        if verdict != ("ok",):
            raise BackupError(f"{source} is damaged: SQLite's check says {verdict[0] if verdict else 'nothing'}")
        make_engine(f"sqlite:///{target}").dispose()  # creates the file 0600, as the server does
        with closing(sqlite3.connect(target)) as live:
            copy.backup(live)
            live.execute("PRAGMA journal_mode=WAL")


def _require_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    except Exception as exc:
        raise BackupError(f"cannot open the database to restore into: {exc}") from exc
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"the database to restore into is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}); "
            "restore into a new, empty database"
        )


def _libpq_uri(url: URL) -> str:
    # The password travels in the environment (PGPASSWORD), never on a command line.
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client tool: it must be as new as the server."""
    override = os.environ.get(BINDIR_ENV)
    candidates = [Path(override) / name] if override else []
    candidates += sorted(_PG_LIB_ROOT.glob(f"*/bin/{name}"), key=_major_version, reverse=True)
    found = next((str(path) for path in candidates if os.access(path, os.X_OK)), None) or shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _major_version(path: Path) -> tuple[int, ...]:
    version = path.parent.parent.name
    return tuple(int(part) for part in version.split(".")) if version.replace(".", "").isdigit() else (0,)


def _run(tool: str, arguments: Sequence[str], url: URL) -> None:
    env = os.environ | ({"PGPASSWORD": url.password} if url.password else {})
    result = subprocess.run([tool, *arguments], capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        name = Path(tool).name
        raise BackupError(f"{name} failed (exit {result.returncode}): {result.stderr.strip()[-_ERROR_TAIL:]}")
