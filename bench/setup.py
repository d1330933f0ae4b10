"""Data that benchmarks create through the real API."""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from sscard.people.idnumber import check_character

PIN = "246810"


def id_number(serial: int, region: str = "110105") -> str:
    """A valid resident ID number, distinct for each serial below 999 times 36,500."""
    days, sequence = divmod(serial, 999)
    birth = f"{1950 + days // 365:04d}{1 + (days % 365) // 31 % 12:02d}{1 + days % 28:02d}"
    first17 = f"{region}{birth}{sequence + 1:03d}"
    return first17 + check_character(first17)


class Api:
    """A synchronous client signed in as the bootstrap admin."""

    def __init__(self, base: str, admin_token: str) -> None:
        self.client = httpx2.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {admin_token}"})

    def post(self, path: str, body: Mapping[str, object] | None = None) -> dict[str, object]:
        response = self.client.post(path, json=body or {})
        response.raise_for_status()
        return dict(response.json())

    def terminal(self, region: str = "110105") -> tuple[str, str]:
        """A designated pharmacy of its own with one terminal: the terminal's client id and secret."""
        pharmacy = self.post(
            "/v1/institutions", {"name": "压测大药房", "kind": "pharmacy", "region": region, "designated": True}
        )
        terminal = self.post(f"/v1/institutions/{pharmacy['institution_id']}/terminals")
        return str(terminal["terminal_id"]), str(terminal["client_secret"])

    def terminal_token(self, region: str = "110105") -> str:
        """A new designated pharmacy's terminal, signed in with its client credentials."""
        return terminal_token(str(self.client.base_url), self.terminal(region))

    def funded_card(self, serial: int, balance: int, region: str = "110105") -> str:
        """A person with an active card (PIN below) and a balance; the card number."""
        person = self.post(
            "/v1/persons",
            {"id_number": id_number(serial, region), "name": "压测用户", "region": region, "scheme": "employee"},
        )
        # The admin issues through a clerk's route: the demo admin is not a clerk.
        card = self.clerk_post(f"/v1/persons/{person['person_id']}/cards", {"bank": "ICBC"})
        self.clerk_post(f"/v1/cards/{card['card_no']}/activate", {"pin": PIN})
        self.post(f"/v1/persons/{person['person_id']}/deposits", {"amount": balance})
        return str(card["card_no"])

    def clerk_post(self, path: str, body: Mapping[str, object]) -> dict[str, object]:
        response = self.clerk.post(path, json=body)
        response.raise_for_status()
        return dict(response.json())

    def sign_in_clerk(self) -> None:
        """Create a national clerk and keep a client signed in as them."""
        self.post(
            "/v1/users",
            {"username": "bench.clerk", "password": "bench clerk password", "role": "clerk", "region": "000000"},
        )
        form = {"grant_type": "password", "username": "bench.clerk", "password": "bench clerk password"}
        token = httpx2.post(f"{self.client.base_url}/v1/auth/token", data=form).json()["access_token"]
        self.clerk = httpx2.Client(
            base_url=self.client.base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        )


def terminal_token(base: str, credentials: tuple[str, str]) -> str:
    """A terminal signed in with its client credentials (client id, secret) at `base`."""
    client_id, secret = credentials
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return str(httpx2.post(f"{base.rstrip('/')}/v1/auth/token", data=form).json()["access_token"])
