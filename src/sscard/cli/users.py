"""`sscard users`: logins."""

from __future__ import annotations

from typing import Annotated

import typer

from sscard.app import prepare_database
from sscard.auth.service import NewUser, create_user
from sscard.cli.common import console, err_console, load_runtime
from sscard.db import transaction
from sscard.errors import ServiceError
from sscard.policy.regions import NATIONAL
from sscard.roles import Principal, Role
from sscard.unit import Unit

app = typer.Typer(help="Logins for staff and cardholders.", no_args_is_help=True)


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="the login name")],
    role: Annotated[Role, typer.Option(help="the role")] = Role.ADMIN,
    region: Annotated[str, typer.Option(help="the region scope; 000000 is national")] = NATIONAL,
    bank: Annotated[str | None, typer.Option(help="a bank user's bank code")] = None,
    person_id: Annotated[int | None, typer.Option(help="a cardholder's person")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="SSCARD_NEW_USER_PASSWORD")
    ] = "",
) -> None:
    """Create a login (the password is asked for, or read from SSCARD_NEW_USER_PASSWORD)."""
    rt = load_runtime()
    prepare_database(rt)
    try:
        with transaction(rt.sessions) as session:
            unit = Unit(session=session, runtime=rt, actor=Principal("cli", Role.ADMIN), now=rt.clock.now())
            user = create_user(unit, NewUser(username, password, role, region, person_id=person_id, bank=bank))
    except ServiceError as exc:
        err_console.print(f"[red]{exc.code}:[/] {exc.detail}")
        raise typer.Exit(1) from exc
    console.print(f"created [bold]{user.username}[/] ({user.role}, region {user.region_code})")
