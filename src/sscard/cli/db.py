"""`sscard db`: the schema."""

from __future__ import annotations

import typer

from sscard.app import prepare_database
from sscard.cli.common import console, load_runtime
from sscard.settings import Settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations and load the built-in regions."""
    # Migrating needs no secret, so a fresh database can be prepared before one is set.
    rt = load_runtime(Settings(demo=True) if not Settings().secret_key.get_secret_value() else None)
    prepare_database(rt)
    console.print(f"[green]database is up to date[/] ({rt.engine.url.render_as_string(hide_password=True)})")
