"""`sscard terminal`: a pharmacy terminal's copy of the invalid list (R-INV-3), and its
offline charges made with a software card (R-SET-6)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx2
import typer

from sscard.cli.common import configure_logging, console, err_console
from sscard.clock import CHINA_STANDARD_TIME
from sscard.terminal.agent import TerminalAgent
from sscard.terminal.card import SoftwareCard, load_card, save_card
from sscard.terminal.client import Change, ListClient, TerminalError
from sscard.terminal.state import CorruptState, TerminalState, load_state

T = TypeVar("T")

app = typer.Typer(
    help="A terminal's copy of the invalid list (sync, watch, check) and its offline charges (charge).",
    no_args_is_help=True,
)

Server = Annotated[str, typer.Option(help="the center's base URL, e.g. http://127.0.0.1:8000")]
ClientId = Annotated[str, typer.Option(help="the terminal's client id")]
ClientSecret = Annotated[str, typer.Option(envvar="SSCARD_TERMINAL_CLIENT_SECRET", help="the terminal's client secret")]
StateFile = Annotated[Path, typer.Option("--state", help="the local list file")]
Scope = Annotated[str | None, typer.Option(help="region code of the list; default the terminal's city")]


@app.command("sync")
def sync(
    server: Server, client_id: ClientId, client_secret: ClientSecret, state: StateFile, scope: Scope = None
) -> None:
    """Catch up once: a snapshot the first time, then the changes since the saved version."""
    caught_up = _run(_catch_up(_agent(server, client_id, client_secret, state, scope)))
    _print_state(caught_up)


@app.command("watch")
def watch(
    server: Server, client_id: ClientId, client_secret: ClientSecret, state: StateFile, scope: Scope = None
) -> None:
    """Catch up, then follow the live stream and print each change until Ctrl-C."""
    configure_logging("WARNING")
    agent = _agent(server, client_id, client_secret, state, scope)
    try:
        _run(_watch(agent))
    except KeyboardInterrupt:
        console.print("stopped; the list is saved in", state)


@app.command("check")
def check(card_no: str, state: StateFile) -> None:
    """Answer from the local file whether a card may settle (exit 1 when it is invalid)."""
    try:
        saved = load_state(state)
    except CorruptState as exc:
        err_console.print(f"[red]error:[/] {state}: {exc}")
        raise typer.Exit(2) from exc
    if saved is None:
        err_console.print(f"[red]error:[/] no list at {state}; run `sscard terminal sync` first")
        raise typer.Exit(2)
    reason = saved.cards.reason(card_no)
    if reason is None:
        console.print(f"{card_no} is not on the invalid list (version {saved.version})")
        return
    console.print(f"{card_no} is INVALID: {reason} (version {saved.version})")
    raise typer.Exit(1)


CardFile = Annotated[
    Path,
    typer.Option("--card", help="the software card: a personalization record {card_no, card_key}; keeps its counter"),
]


@app.command("charge")
def charge(
    server: Server,
    client_id: ClientId,
    client_secret: ClientSecret,
    card: CardFile,
    amount: Annotated[int, typer.Option(min=1, help="in fen")],
    category: Annotated[str, typer.Option(help="drug, treatment, examination, material, hospital_stay")] = "drug",
    state: Annotated[Path | None, typer.Option("--state", help="the local list file, for its version")] = None,
    pin_verified: Annotated[bool, typer.Option(help="whether the card verified the PIN")] = True,  # noqa: FBT002
) -> None:
    """Charge the card offline, as its chip signs it (R-SET-6), and upload the charge."""
    chip = load_card(card)
    saved = load_state(state) if state else None
    version = saved.version if saved else 0
    client = ListClient(server, client_id, client_secret)
    transaction = _signed_charge(chip, client.client_id, amount, category, version, pin_verified=pin_verified)
    save_card(card, chip)  # the chip's counter moved whether or not the upload arrives
    result = _run(_upload(client, transaction))
    code = f" ({result['code']})" if result.get("code") else ""
    console.print(f"counter {chip.counter}, {transaction['local_id']}: {result['status']}{code}")
    if result["status"] == "rejected":
        raise typer.Exit(1)


def _signed_charge(
    chip: SoftwareCard, terminal_id: str, amount: int, category: str, version: int, *, pin_verified: bool
) -> dict[str, object]:
    occurred_at = datetime.now(CHINA_STANDARD_TIME).isoformat(timespec="seconds")
    proof = chip.sign(
        amount=amount, category=category, occurred_at=occurred_at, terminal_id=terminal_id, pin_verified=pin_verified
    )
    facts = {"card_no": chip.card_no, "amount": amount, "category": category, "occurred_at": occurred_at}
    # A new charge each time: its own local ID (a retried upload would keep it).
    local_id = f"{chip.card_no}-{chip.counter}-{secrets.token_hex(4)}"
    return {"local_id": local_id, **facts, "list_version": version, **proof}


async def _upload(client: ListClient, transaction: dict[str, object]) -> dict[str, object]:
    async with client:
        [result] = await client.upload_offline([transaction])
        return result


def _agent(server: str, client_id: str, client_secret: str, state: Path, scope: str | None) -> TerminalAgent:
    return TerminalAgent(ListClient(server, client_id, client_secret, scope=scope), state)


def _run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except (TerminalError, httpx2.HTTPError) as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc


async def _catch_up(agent: TerminalAgent) -> TerminalState:
    async with agent.client:
        return await agent.catch_up()


async def _watch(agent: TerminalAgent) -> None:
    async with agent.client:
        _print_state(await agent.catch_up())
        await agent.follow(_print_change)


def _print_state(state: TerminalState) -> None:
    console.print(f"version {state.version}: {len(state.cards)} invalid cards in scope {state.scope}")


def _print_change(change: Change) -> None:
    reason = f" ({change.reason})" if change.reason else ""
    console.print(f"{change.version}: {change.op} {change.card_no}{reason}")
