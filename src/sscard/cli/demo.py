"""`sscard demo`: load demo data and show the logins."""

from __future__ import annotations

from rich.table import Table

from sscard import demo as demo_data
from sscard.app import prepare_database
from sscard.cli.common import console, load_runtime
from sscard.settings import Settings


def demo() -> None:
    """Load the demo regions, staff, pharmacy and cardholders into the database."""
    rt = load_runtime(Settings(demo=True))
    prepare_database(rt)
    loaded = demo_data.load(rt)
    console.print("[green]demo data loaded[/]" if loaded else "demo data was already there")
    print_logins()


def print_logins() -> None:
    """The demo logins as a table."""
    table = Table(title="demo logins", title_justify="left")
    for column in ("who", "username / client_id", "password / secret"):
        table.add_column(column)
    for row in demo_data.logins():
        table.add_row(*row)
    console.print(table)
    console.print(f"cardholders' card PIN: {demo_data.DEMO_PIN}")
