"""The fault suite's world (issue 14): a throwaway PostgreSQL cluster with durable
settings, `sscard serve` on it in processes of its own, and the test's own runtime on
the same database, to seed it and to check what the database holds afterwards.

Durable, unlike the other tests' cluster: with fsync, synchronous_commit or
full_page_writes off a crash-like restart may lose a commit the server acknowledged,
and "no acknowledged settlement lost" is what this suite proves.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sscard.roles import Principal
from sscard.runtime import Runtime, build_runtime
from sscard.terminal.card import SoftwareCard
from sscard.testing.postgres import TemporaryPostgres, find_pg_bindir
from tests.api import token_for
from tests.conftest import make_settings, migrated_engine
from tests.faults.world import Shop, open_shop
from tests.servers import server

DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "max_connections": "200"}
# One: the supervision of several is tested on its own; here the database is at fault.
SERVER_PROCESSES = 1
# Shorter than the default 5 s: a frozen database shows its 503s within a short freeze.
SETTLEMENT_DEADLINE_SECONDS = 2


@dataclass
class Served:
    """`sscard serve` on the durable cluster, and what the test knows of it."""

    base: str
    postgres: TemporaryPostgres
    rt: Runtime
    shop: Shop
    log: Path
    chips: dict[str, SoftwareCard] = field(default_factory=dict)

    def terminal_headers(self, terminal: Principal) -> dict[str, str]:
        """A terminal's Authorization."""
        return {"Authorization": f"Bearer {token_for(self.rt, terminal)}"}

    def chip(self, card_no: str) -> SoftwareCard:
        """The card's chip (R-SET-6), its counter kept for the whole suite."""
        return self.chips.setdefault(card_no, SoftwareCard(card_no, self.rt.card_key(card_no)))


@pytest.fixture(scope="session")
def durable_postgres() -> Iterator[TemporaryPostgres]:
    """A cluster of its own, which the suite restarts and freezes."""
    if find_pg_bindir() is None:
        message = "the fault suite needs PostgreSQL (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with TemporaryPostgres(settings=DURABLE) as server:
        yield server


@pytest.fixture(scope="session")
def served(durable_postgres: TemporaryPostgres) -> Iterator[Served]:
    """The server on a seeded database, until the suite ends."""
    url = durable_postgres.create_database("sscard_faults")
    var_dir = Path(tempfile.mkdtemp(prefix="sscard-faults-"))
    settings = make_settings(database_url=url, var_dir=var_dir)
    # Pinged before use: the test's own connections outlive the restarts it causes.
    engine = migrated_engine(url, pool_pre_ping=True)
    rt = build_runtime(settings, engine=engine)
    shop = open_shop(rt)
    env = {
        **os.environ,
        "SSCARD_DATABASE_URL": url,
        "SSCARD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SSCARD_ISSUER_KEY": settings.issuer_key.get_secret_value(),
        "SSCARD_VAR_DIR": str(var_dir),
        "SSCARD_PASSWORD_HASH_PROFILE": "CHEAPEST",
        "SSCARD_JOBS_INTERVAL_SECONDS": "0",
        "SSCARD_SETTLEMENT_DEADLINE_SECONDS": str(SETTLEMENT_DEADLINE_SECONDS),
    }
    try:
        with server(var_dir, env, "--workers", str(SERVER_PROCESSES)) as running:
            yield Served(running.base, durable_postgres, rt, shop, running.log)
    finally:
        engine.dispose()
