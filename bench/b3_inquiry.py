"""Invalid-list inquiry requests per second, beside a hello-world route of the same stack.

The inquiries ask about the cards of a bulk-loaded table, one at random a request, of
which LISTED_SHARE were reported lost through the API first: a pharmacy mostly sees
cards that may settle. A second run asks only about listed cards, whose details always
come from the database, so the figure for the worst mix is on record too.
"""

from __future__ import annotations

import random
from typing import Any

import httpx2

from bench.bulk import load_persons, migrate
from bench.figures import Figure
from bench.load import card_file
from bench.services import SECRET, admin_token, load, postgres, server_env, sscard_server
from bench.setup import PIN, Api

NAME = "B3"
WORKERS, CONNECTIONS = 2, 64
LISTED_SHARE = 0.01
SEED = 20261122
INQUIRY = "/v1/invalid-list/inquiry"
SCOPE = "000000"
WARM_UP_SECONDS = 2


def run(full: bool) -> list[Figure]:
    """Both routes on one server, one after the other, with the same load."""
    seconds, persons = (20, 100_000) if full else (8, 10_000)
    with postgres() as pg:
        url = pg.create_database("bench_b3")
        migrate(url, server_env(url))
        plan = load_persons(url, persons, secret=SECRET.encode(), pin=PIN, balance=1_000).plan
        cards = [plan.card_no(plan.person_id(index)) for index in range(persons)]
        listed = random.Random(SEED).sample(cards, int(persons * LISTED_SHARE))  # noqa: S311 (a sample, not a secret)
        with sscard_server(url, WORKERS) as base, card_file(cards) as everyone, card_file(listed) as only_listed:
            api = Api(base, admin_token(base))
            api.sign_in_clerk()
            for card_no in listed:
                api.clerk_post(f"/v1/cards/{card_no}/loss-reports", {"kind": "provisional", "channel": "counter"})
            token = api.terminal_token()
            _check_answers(base, token, listed, [card for card in cards[:100] if card not in listed])
            inquire = {"url": f"{base}{INQUIRY}", "path": INQUIRY, "scope": SCOPE, "token": token}
            load("inquire", **inquire, cards_file=everyone, connections=CONNECTIONS, seconds=WARM_UP_SECONDS)
            hello = load("get", url=f"{base}/livez", connections=CONNECTIONS, seconds=seconds)
            mixed = load("inquire", **inquire, cards_file=everyone, connections=CONNECTIONS, seconds=seconds)
            worst = load("inquire", **inquire, cards_file=only_listed, connections=CONNECTIONS, seconds=seconds)
    for result in (hello, mixed, worst):
        _require_all_answered(result)
    return _figures(hello, mixed, worst, persons, seconds)


def _check_answers(base: str, token: str, listed: list[str], unlisted: list[str]) -> None:
    """The server says what the database holds, before anything is measured."""
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for cards, invalid in ((listed[:100], True), (unlisted, False)):
            for card_no in cards:
                answer = client.get(INQUIRY, params={"card_no": card_no, "scope": SCOPE}).json()
                if answer["invalid"] is not invalid:
                    raise RuntimeError(f"B3: {card_no} answered {answer}, expected invalid={invalid}")


def _require_all_answered(result: dict[str, Any]) -> None:
    if result["non2xx"] or result["errors"]:
        raise RuntimeError(f"B3: requests failed: {result}")


def _figures(
    hello: dict[str, Any], mixed: dict[str, Any], worst: dict[str, Any], persons: int, seconds: int
) -> list[Figure]:
    note = f"{WORKERS} workers, wrk {CONNECTIONS} connections, {seconds} s each, PostgreSQL"
    mix = f"{persons:,} cards at random, {LISTED_SHARE:.0%} of them listed"
    return [
        Figure(NAME, "hello-world (/livez)", hello["rps"], "req/s", note=note),
        Figure(NAME, "inquiry", mixed["rps"], "req/s", note=mix),
        Figure(NAME, "inquiry p99", mixed["p99_ms"], "ms"),
        Figure(NAME, "inquiry ÷ hello-world", mixed["rps"] / hello["rps"], "×", target=0.5, compare=">="),
        Figure(NAME, "inquiry, listed cards only", worst["rps"], "req/s", note="each answer read from the database"),
        Figure(NAME, "inquiry, listed cards only, p99", worst["p99_ms"], "ms"),
        Figure(NAME, "inquiry, listed cards only ÷ hello-world", worst["rps"] / hello["rps"], "×"),
    ]
