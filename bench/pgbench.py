"""pgbench beside an HTTP benchmark: what PostgreSQL itself does on the same cluster."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sscard.testing.postgres import TemporaryPostgres, find_pg_bindir

DATABASE = "pgbench"


@dataclass(frozen=True, slots=True)
class PgbenchResult:
    """Transactions per second and mean latency, as pgbench printed them."""

    tps: float
    latency_ms: float
    clients: int
    seconds: int


def pgbench_binary() -> str:
    """pgbench from the PATH or the server's own bin directory."""
    bindir = find_pg_bindir()
    candidates = [shutil.which("pgbench"), str(bindir / "pgbench") if bindir else None]
    found = next((c for c in candidates if c and Path(c).is_file()), None)
    if found is None:
        raise RuntimeError("pgbench is not installed (Debian: postgresql-contrib or postgresql-15)")
    return found


def _connection(pg: TemporaryPostgres) -> list[str]:
    return ["-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"]


def initialise(pg: TemporaryPostgres, scale: int) -> str:
    """`pgbench -i -s scale` in a database of its own; the database's name."""
    pg.create_database(DATABASE)
    command = [pgbench_binary(), *_connection(pg), "-i", "-q", "-s", str(scale), DATABASE]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench -i failed:\n{result.stderr[-3000:]}")
    return DATABASE


def simple_update(pg: TemporaryPostgres, clients: int, seconds: int, threads: int = 2) -> PgbenchResult:
    """`pgbench -N -c clients -j threads -T seconds -M prepared`: TPC-B without the
    branch and teller updates (a balance update, a read, a history insert)."""
    return _run(pg, ["-N"], DATABASE, clients, seconds, threads)


def script(
    pg: TemporaryPostgres, paths: Sequence[Path], database: str, clients: int, seconds: int, threads: int = 2
) -> PgbenchResult:
    """`pgbench -n -f path …` on `database`: scripts of our own (no pgbench tables to
    vacuum); with several, each transaction runs one of them picked at random."""
    files = [option for path in paths for option in ("-f", str(path))]
    return _run(pg, ["-n", *files], database, clients, seconds, threads)


def _run(
    pg: TemporaryPostgres, workload: list[str], database: str, clients: int, seconds: int, threads: int
) -> PgbenchResult:
    options = [*workload, "-c", str(clients), "-j", str(threads), "-T", str(seconds), "-M", "prepared"]
    command = [pgbench_binary(), *_connection(pg), *options, database]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    tps = re.search(r"^tps = ([0-9.]+)", result.stdout, re.M)
    latency = re.search(r"^latency average = ([0-9.]+) ms", result.stdout, re.M)
    if result.returncode != 0 or tps is None or latency is None:
        raise RuntimeError(f"pgbench failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return PgbenchResult(float(tps.group(1)), float(latency.group(1)), clients, seconds)
