"""`sscard demo`: load demo data and show the logins."""

from __future__ import annotations

from rich.text import Text

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


def print_logins(base: str | None = None) -> None:
    """The demo logins, one a line: every value whole, a line that does not fit wrapped
    between words (never cut), and the server's address, port included, when it serves."""
    console.print(f"demo logins for {base}:" if base else "demo logins:", highlight=False)
    for who, username, password in demo_data.logins():
        line = Text("  ")
        line.append(who, style="dim").append(": ").append(username, style="bold").append("  ").append(password)
        console.print(line, overflow="fold")
    console.print(f"cardholders' card PIN: {demo_data.DEMO_PIN}", highlight=False)
