"""The `sscard` command."""

from __future__ import annotations

import typer

from sscard.cli import db, demo, jobs, serve, terminal, users

app = typer.Typer(help="sscard: social security / medical insurance card service.", no_args_is_help=True)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(jobs.app, name="jobs")
app.add_typer(terminal.app, name="terminal")
