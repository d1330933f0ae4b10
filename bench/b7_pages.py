"""The counter's pages answer in under 100 ms for a person with 1,000 postings (issue 12).

A live `sscard serve` on PostgreSQL; a clerk signed in through /login like a browser;
each page fetched one request at a time, so each time is one page's own (loopback time
from request to last byte: the server's time plus a fraction of a millisecond).
"""

from __future__ import annotations

import re
import statistics
import time

import httpx2

from bench.bulk import migrate
from bench.figures import Figure
from bench.services import admin_token, postgres, server_env, sscard_server
from bench.setup import Api

NAME = "B7"
TARGET_MS = 100.0
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def run(full: bool) -> list[Figure]:
    """Each page many times after a warm-up; p50 and p99 per page."""
    postings, rounds = (1_000, 500) if full else (1_000, 100)
    with postgres() as pg:
        url = pg.create_database("bench_b7")
        migrate(url, server_env(url))
        with sscard_server(url, 1) as base:
            api = Api(base, admin_token(base))
            api.sign_in_clerk()
            card_no = api.funded_card(1, 100)
            person = api.clerk.get("/v1/persons", params={"card_no": card_no}).json()["items"][0]
            person_id = person["person_id"]
            for _ in range(postings - 1):  # the funded card's deposit is the first posting
                api.post(f"/v1/persons/{person_id}/deposits", {"amount": 1})
            client = _signed_in_page_client(base)
            try:
                pages = _pages(client, person_id, card_no, person["id_number"])
                times = {name: _times(client, path, rounds) for name, path in pages.items()}
            finally:
                client.close()
    note = f"{postings:,} postings, {rounds} requests a page one at a time, 1 worker, PostgreSQL"
    figures = []
    for name, measured in times.items():
        figures.append(Figure(NAME, f"{name} p50", statistics.median(measured), "ms", TARGET_MS, note=note))
        figures.append(Figure(NAME, f"{name} p99", _p99(measured), "ms", TARGET_MS))
    return figures


def _pages(client: httpx2.Client, person_id: int, card_no: str, id_number: str) -> dict[str, str]:
    person = f"/counter/persons/{person_id}"
    older = re.search(r"\?before=(\d+)", client.get(person).text)
    if older is None:
        raise RuntimeError("B7: the person page links no older postings")
    card = f"{person}/cards/{card_no}"
    return {
        "search by ID number": f"/counter?q={id_number}",
        "person": person,
        "person, older postings": f"{person}?before={older.group(1)}",
        "loss report form": f"{card}/loss-report",
        "replacement form": f"{card}/replacement",
        "cancellation form": f"{card}/cancellation",
        "claim form": f"{person}/claims/new",
        "queue": "/counter/queue",
    }


def _signed_in_page_client(base: str) -> httpx2.Client:
    client = httpx2.Client(base_url=base, timeout=30)
    token = CSRF.search(client.get("/login").text)
    if token is None:
        raise RuntimeError("B7: no CSRF token on /login")
    form = {"username": "bench.clerk", "password": "bench clerk password", "csrf_token": token.group(1)}
    answer = client.post("/login", data=form)
    if answer.status_code != 303:
        raise RuntimeError(f"B7: sign-in answered {answer.status_code}")
    return client


def _times(client: httpx2.Client, path: str, rounds: int) -> list[float]:
    for _ in range(10):  # warm-up: templates compiled, connections pooled
        _get(client, path)
    measured = []
    for _ in range(rounds):
        started = time.perf_counter()
        _get(client, path)
        measured.append((time.perf_counter() - started) * 1000)
    return measured


def _get(client: httpx2.Client, path: str) -> None:
    answer = client.get(path)
    if answer.status_code != 200:
        raise RuntimeError(f"B7: {path} answered {answer.status_code}: {answer.text[:300]}")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
