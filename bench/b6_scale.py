"""10 M persons with cards and accounts in PostgreSQL: bulk load rate, and settlement p50 at scale."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from bench.bulk import Loaded, check_sample, libpq_url, load_persons, migrate
from bench.figures import Figure
from bench.load import card_file
from bench.services import SECRET, admin_token, load, postgres, server_env, sscard_server
from bench.setup import PIN, Api
from sscard.testing.postgres import TemporaryPostgres

NAME = "B6"
WORKERS, CONNECTIONS, TERMINALS = 2, 4, 4
CARDS = 100_000  # cards drawn at random from the whole table for the settlement runs
BALANCE, AMOUNT = 10_000_000, 1_234  # fen
MIN_APPROVED = 0.95
WARM_UP_SECONDS = 2
# What a settlement reads, by random access: held in shared_buffers for both sizes, so
# that the comparison is of the queries at scale, not of a cold cache. At 10 M that is
# about 4.4 GB, hence the cluster's shared_buffers in full mode.
HOT = ("cards", "uq_cards_card_no", "accounts", "pk_accounts", "persons", "pk_persons", "ix_postings_person_id_id")
SHARED_BUFFERS = {False: "512MB", True: "6GB"}
ROUNDS = 3  # settlement runs per size, alternating sizes


@dataclass(frozen=True, slots=True)
class Scale:
    """One database size: its load and its settlement runs."""

    persons: int
    url: str
    loaded: Loaded
    settles: tuple[dict[str, Any], ...] = ()

    @property
    def settle(self) -> dict[str, Any]:
        """The run with the lowest p50: the rounds alternate sizes, so a neighbour's
        load on the machine is less likely to favour one size."""
        return min(self.settles, key=lambda s: float(s["p50_ms"]))


def run(full: bool) -> list[Figure]:
    """Each size in its own database of one cluster, loaded and checked; then rounds of
    settlements through HTTP, alternating sizes."""
    sizes = (10_000, 10_000_000) if full else (10_000, 200_000)
    seconds = 20 if full else 8
    with postgres(shared_buffers=SHARED_BUFFERS[full]) as pg:
        scales = [_load(pg, persons) for persons in sizes]
        for _ in range(ROUNDS):
            scales = [replace(scale, settles=(*scale.settles, _settle(scale, seconds))) for scale in scales]
    return _figures(scales, seconds, SHARED_BUFFERS[full])


def _load(pg: TemporaryPostgres, persons: int) -> Scale:
    url = pg.create_database(f"bench_b6_{persons}")
    migrate(url, server_env(url))
    loaded = load_persons(url, persons, secret=SECRET.encode(), pin=PIN, balance=BALANCE)
    check_sample(url, loaded, SECRET.encode())
    _prewarm(url)
    return Scale(persons, url, loaded)


def _prewarm(url: str) -> None:
    """Read the relations settlements use into shared_buffers (pg_prewarm)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in HOT:
            conn.execute("SELECT pg_prewarm(%s::regclass)", (relation,))


def _settle(scale: Scale, seconds: int) -> dict[str, Any]:
    plan = scale.loaded.plan
    picks = random.Random(scale.persons).sample(range(scale.persons), min(CARDS, scale.persons))  # noqa: S311
    with card_file(plan.card_no(plan.person_id(i)) for i in picks) as cards, sscard_server(scale.url, WORKERS) as base:
        api = Api(base, admin_token(base))
        tokens = [api.terminal_token() for _ in range(TERMINALS)]
        options = {"url": f"{base}/v1/settlements", "tokens": tokens, "cards_file": cards, "pin": PIN, "amount": AMOUNT}
        load("settle", **options, connections=CONNECTIONS, seconds=WARM_UP_SECONDS)
        settle = load("settle", **options, connections=CONNECTIONS, seconds=seconds)
    approved = int(settle["statuses"].get("201", 0)) / max(int(settle["requests"]), 1)
    if approved < MIN_APPROVED or settle["errors"] > settle["non2xx"]:
        raise RuntimeError(f"B6 at {scale.persons:,} persons: only {approved:.1%} approved (201): {settle}")
    return settle


def _figures(scales: list[Scale], seconds: int, shared_buffers: str) -> list[Figure]:
    small, large = scales
    settled = (
        f"{WORKERS} workers, wrk {CONNECTIONS} connections, {seconds} s, up to {CARDS:,} random cards of the table; "
        f"lower p50 of {ROUNDS} runs; shared_buffers {shared_buffers}, "
        "cards, accounts, persons and their keys prewarmed"
    )
    return [
        _load_figure(large, target=True),
        _load_figure(small, target=False),
        Figure(NAME, f"settlement p50 at {small.persons:,}", small.settle["p50_ms"], "ms", note=settled),
        Figure(NAME, f"settlement p50 at {large.persons:,}", large.settle["p50_ms"], "ms", note=settled),
        Figure(NAME, f"settlements at {small.persons:,}", small.settle["rps"], "req/s"),
        Figure(NAME, f"settlements at {large.persons:,}", large.settle["rps"], "req/s"),
        Figure(NAME, "settlement p50, large ÷ small", large.settle["p50_ms"] / small.settle["p50_ms"], "×", 1.2, "<="),
    ]


def _load_figure(scale: Scale, *, target: bool) -> Figure:
    loaded = scale.loaded
    note = (
        f"{loaded.seconds:.1f} s: COPY of persons, accounts, active cards with 2 transitions and an opening "
        f"posting each{', constraints and indexes rebuilt' if loaded.rebuilt else ''}, ANALYZE; one transaction"
    )
    name = f"bulk load, {scale.persons:,} persons"
    if not target:
        return Figure(NAME, name, loaded.persons_per_second, "persons/s", note=note)
    return Figure(NAME, name, loaded.persons_per_second, "persons/s", target=50_000, compare=">=", note=note)
