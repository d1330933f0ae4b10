"""`sscard db`: the schema, backups, and the check that the data adds up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from sscard.app import prepare_database
from sscard.backup.archive import BackupError, backup, restore
from sscard.backup.verify import verify
from sscard.cli.common import console, err_console, load_runtime
from sscard.db import make_engine, make_sessionmaker, transaction
from sscard.settings import Settings

app = typer.Typer(help="Database schema, backup and restore.", no_args_is_help=True)
BackupFile = Annotated[Path, typer.Argument(help="the backup file", dir_okay=False)]


@app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations and load the built-in regions."""
    # Migrating needs no secret, so a fresh database can be prepared before one is set.
    rt = load_runtime(Settings(demo=True) if not Settings().secret_key.get_secret_value() else None)
    prepare_database(rt)
    console.print(f"[green]database is up to date[/] ({rt.engine.url.render_as_string(hide_password=True)})")


@app.command("backup")
def backup_command(target: BackupFile) -> None:
    """Write a consistent copy of the database to a new file (0600), while it serves."""
    url = Settings().resolved_database_url
    _or_exit(lambda: backup(url, target))
    console.print(f"[green]backed up[/] {_shown(url)} to {target} ({target.stat().st_size:,} bytes)")


@app.command("restore")
def restore_command(source: BackupFile) -> None:
    """Load a backup into the configured database, which must be empty; then verify it."""
    url = Settings().resolved_database_url
    _or_exit(lambda: restore(source, url))
    console.print(f"[green]restored[/] {source} into {_shown(url)}")
    _verify(url)


@app.command("verify")
def verify_command() -> None:
    """Check every ledger (R-ACC-1) and the invalid list's version chain (R-INV-3)."""
    _verify(Settings().resolved_database_url)


def _verify(url: str) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        # Every check reads the same instant, even while the server writes.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    try:
        with transaction(make_sessionmaker(engine)) as session:
            problems = verify(session)
    except DBAPIError as exc:
        err_console.print(f"[red]error:[/] cannot read the ledgers and the list: {exc.orig}", highlight=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if problems:
        err_console.print(f"[red]verify failed[/]: {len(problems)} problems in {_shown(url)}", highlight=False)
        for problem in problems:
            err_console.print(f"  - {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print("[green]verified[/]: every ledger sums to its balance, the list's versions are whole")


def _or_exit(action: Callable[[], None]) -> None:
    try:
        action()
    except BackupError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
