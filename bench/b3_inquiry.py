"""Invalid-list inquiry requests per second, beside a hello-world route of the same stack."""

from __future__ import annotations

from bench.figures import Figure
from bench.services import admin_token, load, postgres, sscard_server
from bench.setup import Api

NAME = "B3"
WORKERS, CONNECTIONS = 2, 64


def run(full: bool) -> list[Figure]:
    """Both routes on one server, one after the other, with the same load."""
    seconds = 20 if full else 8
    with postgres() as pg, sscard_server(pg.create_database("bench_b3"), WORKERS) as base:
        api = Api(base, admin_token(base))
        api.sign_in_clerk()
        card_no = api.funded_card(1, 1_000)
        api.clerk_post(f"/v1/cards/{card_no}/loss-reports", {"kind": "provisional", "channel": "written"})
        terminal = {"Authorization": f"Bearer {api.terminal_token()}"}
        hello = load("get", url=f"{base}/livez", connections=CONNECTIONS, seconds=seconds)
        inquiry = load(
            "get",
            url=f"{base}/v1/invalid-list/inquiry?card_no={card_no}&scope=000000",
            headers=terminal,
            connections=CONNECTIONS,
            seconds=seconds,
        )
    assert inquiry["non2xx"] == 0, inquiry
    assert hello["non2xx"] == 0, hello
    note = f"{WORKERS} workers, wrk {CONNECTIONS} connections, {seconds} s each, PostgreSQL"
    return [
        Figure(NAME, "hello-world (/livez)", hello["rps"], "req/s", note=note),
        Figure(NAME, "inquiry", inquiry["rps"], "req/s", note=note),
        Figure(NAME, "inquiry p99", inquiry["p99_ms"], "ms"),
        Figure(NAME, "inquiry ÷ hello-world", inquiry["rps"] / hello["rps"], "×", target=0.5, compare=">="),
    ]
