"""What B2 creates through the real API: pharmacies' terminals, cards to report lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx2

from bench.services import admin_token
from bench.setup import Api

REGION = "110105"
LOSS_REPORT = {"kind": "provisional", "channel": "counter"}


@dataclass(frozen=True, slots=True)
class Terminal:
    """A terminal's client credentials."""

    terminal_id: str
    client_secret: str


def create_terminals(api: Api, count: int, per_pharmacy: int = 4) -> list[Terminal]:
    """`count` terminals, `per_pharmacy` to each designated pharmacy of one district."""
    terminals: list[Terminal] = []
    while len(terminals) < count:
        pharmacy = api.post(
            "/v1/institutions", {"name": "压测大药房", "kind": "pharmacy", "region": REGION, "designated": True}
        )
        for _ in range(min(per_pharmacy, count - len(terminals))):
            created = api.post(f"/v1/institutions/{pharmacy['institution_id']}/terminals")
            terminals.append(Terminal(str(created["terminal_id"]), str(created["client_secret"])))
    return terminals


def sign_in(base: str, terminal: Terminal) -> str:
    """A fresh bearer token for a terminal (tokens expire; the streams outlive none of them)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": terminal.terminal_id,
        "client_secret": terminal.client_secret,
    }
    response = httpx2.post(f"{base}/v1/auth/token", data=form, timeout=60)
    response.raise_for_status()
    return str(response.json()["access_token"])


def sign_in_all(base: str, terminals: list[Terminal]) -> list[str]:
    """A token for every terminal, a few sign-ins at a time."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda t: sign_in(base, t), terminals))


def cards(api: Api, first_serial: int, count: int) -> list[str]:
    """`count` active cards of people in the terminals' district."""
    return [api.funded_card(first_serial + i, 100, REGION) for i in range(count)]


def report_lost(api: Api, card_no: str) -> None:
    """A clerk's provisional loss report at the counter, the holder there: the card joins the list."""
    api.clerk_post(f"/v1/cards/{card_no}/loss-reports", LOSS_REPORT)


def list_version(base: str, token: str) -> int:
    """The invalid list's current version, as a terminal sees it."""
    response = httpx2.get(f"{base}/v1/invalid-list/snapshot", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    response.raise_for_status()
    return int(response.json()["version"])


def signed_in(base: str, *, create_clerk: bool) -> Api:
    """An admin client with a clerk beside it, both freshly signed in (tokens last 15 min)."""
    api = Api(base, admin_token(base))
    if create_clerk:
        api.sign_in_clerk()
        return api
    form = {"grant_type": "password", "username": "bench.clerk", "password": "bench clerk password"}
    token = httpx2.post(f"{base}/v1/auth/token", data=form, timeout=60).json()["access_token"]
    api.clerk = httpx2.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"})
    return api
