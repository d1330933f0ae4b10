"""CPU per request with no network: the app driven through httpx2's ASGI transport.

    .venv/bin/python -m bench.in_process

For comparing two versions of the code on a busy machine, where wrk's rates move more
than the change being measured (BENCHMARKS.md, issue 11). A throwaway SQLite database;
the best of 7 rounds of 1,000 requests each, the client's own cost included.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from typing import Any

import httpx2

ROUNDS, REQUESTS = 7, 1000
ADMIN = {"grant_type": "password", "username": "root.admin", "password": "bench-password"}
INQUIRY = "/v1/invalid-list/inquiry?card_no=1101050000000001"


def _environment() -> None:
    os.environ.update(
        SSCARD_DATABASE_URL=f"sqlite:///{tempfile.mkdtemp()}/bench.db",
        SSCARD_SECRET_KEY="bench-" + "s" * 40,
        SSCARD_ADMIN_USER=ADMIN["username"],
        SSCARD_ADMIN_PASSWORD=ADMIN["password"],
        SSCARD_PASSWORD_HASH_PROFILE="CHEAPEST",  # noqa: S106 (a hash profile name)
        SSCARD_JOBS_INTERVAL_SECONDS="0",
    )


async def _token(client: httpx2.AsyncClient, form: dict[str, str]) -> dict[str, str]:
    response = await client.post("/v1/auth/token", data=form)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _terminal(client: httpx2.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    place = {"name": "药房", "kind": "pharmacy", "region": "110105", "designated": True}
    institution = (await client.post("/v1/institutions", json=place, headers=admin)).json()
    url = f"/v1/institutions/{institution['institution_id']}/terminals"
    created = (await client.post(url, headers=admin, json={})).json()
    form = {"grant_type": "client_credentials", "client_id": created["terminal_id"]}
    return await _token(client, form | {"client_secret": created["client_secret"]})


async def _cpu_per_request(client: httpx2.AsyncClient, path: str, headers: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(REQUESTS):
            await client.get(path, headers=headers)
        best = min(best, time.process_time() - started)
    return best / REQUESTS * 1e6


async def _measure(app: Any) -> None:
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        admin = await _token(client, ADMIN)
        terminal = await _terminal(client, admin)
        for name, path, headers in (
            ("/livez", "/livez", {}),
            ("inquiry (terminal)", INQUIRY, terminal),
            ("GET /v1/persons/1 (staff)", "/v1/persons/1", admin),
        ):
            print(f"{name}: {await _cpu_per_request(client, path, headers):.0f} µs CPU per request")


def main() -> None:
    _environment()
    logging.disable(logging.CRITICAL)
    from sscard.app import create_app

    asyncio.run(_measure(create_app()))


if __name__ == "__main__":
    main()
