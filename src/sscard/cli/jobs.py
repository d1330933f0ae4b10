"""`sscard jobs`: scheduled work, run by hand or from cron."""

from __future__ import annotations

import typer

from sscard.cli.common import console, load_runtime
from sscard.jobs import run_due_jobs

app = typer.Typer(help="Scheduled jobs (also run inside `sscard serve`).", no_args_is_help=True)


@app.command("run")
def run() -> None:
    """Run every due job once."""
    done = run_due_jobs(load_runtime())
    for name, count in done.items():
        console.print(f"{name}: {count}")
