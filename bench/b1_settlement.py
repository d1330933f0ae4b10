"""Settlements per second over HTTP (PIN, idempotency, ledger) against PostgreSQL's own
limit for the same work: `pgbench -f` running exactly the SQL one settlement sends
(captured from the server's log in the same run, bench/settlement_sql.py), on the same
durable cluster, with `pgbench -N` beside it for comparison with the earlier figures.

The load spreads over TERMINALS terminals, each of its own institution, for wrk and
pgbench alike: one settlement is captured per terminal, and pgbench picks one of those
scripts at random per transaction. (With one captured script every pgbench transaction
counted into the same institution's row of the dashboard's counts, and waited on its row
lock: a limit of a hot row, not of the work.) The HTTP stack's own floor — the server's
CPU per `GET /livez` — is measured on the same server, to say what is left of a settlement
once the interpreter has answered any request at all. `pgbench -f` with one terminal's
script alone is measured once beside them, as the ceiling of one institution's
settlements on this cluster."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import cpu, pgbench, settlement_sql
from bench.bulk import Plan, load_persons, migrate
from bench.figures import Figure
from bench.load import card_file
from bench.services import ROOT, SECRET, admin_token, load, postgres, server_env, sscard_server
from bench.setup import PIN, Api, terminal_token
from sscard.testing.postgres import TemporaryPostgres

NAME = "B1"
CONNECTIONS = 16  # wrk connections and pgbench clients alike
WORKER_COUNTS = (2, 1, 3, 4)  # `sscard serve --workers N`; the target is held to the best
CARDS, TERMINALS = 20_000, 8
BALANCE, AMOUNT = 10_000_000_000, 1_234  # fen: no card runs dry in a run
MIN_APPROVED = 0.95
WARM_UP_SECONDS = 2
DATABASE = "bench_b1"
CAPTURED_KEY = "B1-CAPTURE"
FLOOR_SECONDS = 4  # wrk on GET /livez, for the server's CPU per request


@dataclass(frozen=True, slots=True)
class Cpu:
    """CPU seconds spent during the measured runs: PostgreSQL's on pgbench -f, and
    PostgreSQL's and sscard's on the settlements (bench/cpu.py)."""

    database_on_limit: float
    database_on_settlements: float
    server_on_settlements: float
    server_per_liveness: float  # seconds per GET /livez: the HTTP stack's floor


@dataclass(frozen=True, slots=True)
class Measured:
    """One server configuration: its settlements and the pgbench runs just before."""

    workers: int
    baseline: pgbench.PgbenchResult
    limit: pgbench.PgbenchResult  # the settlement's own SQL
    settle: dict[str, Any]
    cpu: Cpu

    @property
    def settlements(self) -> int:
        return int(self.settle["requests"])

    @property
    def ratio(self) -> float:
        return float(self.settle["rps"]) / self.limit.tps

    @property
    def ratio_simple(self) -> float:
        return float(self.settle["rps"]) / self.baseline.tps

    @property
    def approved(self) -> float:
        return int(self.settle["statuses"].get("201", 0)) / max(int(self.settle["requests"]), 1)


def run(full: bool) -> list[Figure]:
    """pgbench's tables and sscard's in one cluster; per worker count, pgbench then wrk."""
    seconds, scale = (30, 50) if full else (8, 10)
    with postgres(log_line_prefix=settlement_sql.LOG_LINE_PREFIX) as pg:
        url = pg.create_database(DATABASE)
        migrate(url, server_env(url))
        plan = load_persons(url, CARDS, secret=SECRET.encode(), pin=PIN, balance=BALANCE).plan
        cards = [plan.card_no(plan.person_id(i)) for i in range(CARDS)]
        pgbench.initialise(pg, scale)
        terminals, scripts = _capture_settlements(pg, url, plan)
        one_terminal = pgbench.script(pg, scripts[:1], DATABASE, CONNECTIONS, seconds)
        with card_file(cards) as cards_file:
            measured = [
                _measure(pg, url, scripts, terminals, cards_file, workers, seconds) for workers in WORKER_COUNTS
            ]
    return _figures(measured, one_terminal, seconds, scale)


def _capture_settlements(pg: TemporaryPostgres, url: str, plan: Plan) -> tuple[list[tuple[str, str]], list[Path]]:
    """TERMINALS terminals (each of its own institution) and one settlement through each,
    through `sscard serve` with every statement logged; the terminals' credentials and
    each settlement's SQL as a pgbench script (bench/results/b1-settlement-N.sql, kept for
    reading)."""
    people = [(plan.card_no(plan.person_id(i)), plan.person_id(i)) for i in range(CARDS)]
    settlement_sql.load_cards_table(pg, DATABASE, people)
    settlement_sql.log_statements(pg, DATABASE, on=True)  # before the server opens its connections
    try:
        with sscard_server(url, 1) as base:
            api = Api(base, admin_token(base))
            terminals = [api.terminal() for _ in range(TERMINALS)]
            for n, terminal in enumerate(terminals):
                token = terminal_token(base, terminal)
                settlement_sql.settle_once(base, token, people[CARDS - 1 - n][0], PIN, f"B1-WARM-UP-{n}")
                settlement_sql.settle_once(base, token, people[n][0], PIN, f"{CAPTURED_KEY}-{n}")
    finally:
        settlement_sql.log_statements(pg, DATABASE, on=False)
    log = settlement_sql.read_log(pg)
    scripts = []
    for n in range(TERMINALS):
        key = f"{CAPTURED_KEY}-{n}"
        statements = settlement_sql.settlement_statements(log, key)
        text = settlement_sql.pgbench_script(statements, people[n][0], people[n][1], key, CARDS)
        scripts.append(settlement_sql.write_script(ROOT / "bench" / "results" / f"b1-settlement-{n}.sql", text))
    return terminals, scripts


def _measure(
    pg: TemporaryPostgres,
    url: str,
    scripts: list[Path],
    terminals: list[tuple[str, str]],
    cards_file: str,
    workers: int,
    seconds: int,
) -> Measured:
    baseline = pgbench.simple_update(pg, CONNECTIONS, seconds)
    postmaster = pg.server_pids()[0]
    database_before = cpu.tree_seconds(postmaster)
    limit = pgbench.script(pg, scripts, DATABASE, CONNECTIONS, seconds)
    database_on_limit = cpu.tree_seconds(postmaster) - database_before
    with sscard_server(url, workers) as base:
        options = {
            "url": f"{base}/v1/settlements",
            "tokens": [terminal_token(base, terminal) for terminal in terminals],
            "cards_file": cards_file,
            "pin": PIN,
            "amount": AMOUNT,
        }
        load("settle", **options, connections=CONNECTIONS, seconds=WARM_UP_SECONDS)
        server = cpu.pid_listening_with(f"--port {base.rsplit(':', 1)[1]} ")
        before = cpu.tree_seconds(postmaster), cpu.tree_seconds(server)
        settle = load("settle", **options, connections=CONNECTIONS, seconds=seconds)
        spent = cpu.tree_seconds(postmaster) - before[0], cpu.tree_seconds(server) - before[1]
        floor = _cpu_per_request(server, f"{base}/livez")
    measured = Measured(workers, baseline, limit, settle, Cpu(database_on_limit, *spent, floor))
    if measured.approved < MIN_APPROVED or settle["errors"] > settle["non2xx"]:
        raise RuntimeError(f"B1 with {workers} workers: only {measured.approved:.1%} approved (201): {settle}")
    return measured


def _cpu_per_request(server: int, url: str) -> float:
    """The server's CPU seconds per `GET url` under wrk: what any request costs it."""
    before = cpu.tree_seconds(server)
    answered = load("get", url=url, connections=CONNECTIONS, seconds=FLOOR_SECONDS)
    return (cpu.tree_seconds(server) - before) / max(int(answered["requests"]), 1)


def _figures(measured: list[Measured], one_terminal: pgbench.PgbenchResult, seconds: int, scale: int) -> list[Figure]:
    best = max(measured, key=lambda m: m.settle["rps"])
    note = (
        f"wrk and pgbench {CONNECTIONS} connections, {seconds} s each; {CARDS:,} cards, {TERMINALS} terminals; "
        f"durable PostgreSQL (fsync, synchronous_commit, full_page_writes on); best of workers {WORKER_COUNTS}"
    )
    s = best.settle
    figures = [
        Figure(NAME, "pgbench -f (one settlement's SQL)", best.limit.tps, "TPS", note=note),
        Figure(NAME, "pgbench -N", best.baseline.tps, "TPS", note=f"-M prepared -j 2 at scale {scale}"),
        Figure(
            NAME,
            "pgbench -f, one terminal's script only",
            one_terminal.tps,
            "TPS",
            note="every transaction on one row of the dashboard's counts: one institution's ceiling",
        ),
        Figure(NAME, f"settlements ({best.workers} workers)", s["rps"], "req/s"),
        Figure(NAME, "approved (201)", 100 * best.approved, "%", note=f"statuses {s['statuses']}"),
        Figure(NAME, "settlements ÷ pgbench -f", best.ratio, "×", target=0.5, compare=">="),
        Figure(NAME, "settlements ÷ pgbench -N", best.ratio_simple, "×"),
        Figure(NAME, "pgbench -f mean latency", best.limit.latency_ms, "ms"),
        Figure(NAME, "settlement p50", s["p50_ms"], "ms"),
        Figure(NAME, "settlement p99", s["p99_ms"], "ms", target=50, compare="<="),
        Figure(NAME, "server workers (best)", best.workers, "workers"),
        *_cpu_figures(best),
    ]
    return figures + [figure for m in measured if m is not best for figure in _context(m)]


def _cpu_figures(m: Measured) -> list[Figure]:
    """Where the CPU went, per transaction: on 2 shared cores the settlements' rate is
    bounded by both cores over PostgreSQL's and sscard's CPU per settlement together."""
    per_limit = 1000 * m.cpu.database_on_limit / (m.limit.tps * m.limit.seconds)
    per_database = 1000 * m.cpu.database_on_settlements / m.settlements
    per_server = 1000 * m.cpu.server_on_settlements / m.settlements
    return [
        Figure(NAME, "PostgreSQL CPU per pgbench -f transaction", per_limit, "ms"),
        Figure(NAME, "PostgreSQL CPU per settlement", per_database, "ms"),
        Figure(NAME, "sscard CPU per settlement", per_server, "ms", note="every worker process and the master"),
        Figure(NAME, "sscard CPU per GET /livez", 1000 * m.cpu.server_per_liveness, "ms", note="the HTTP floor"),
    ]


def _context(m: Measured) -> list[Figure]:
    """Another worker count, for comparison: no targets."""
    label = f"{m.workers} worker{'s' if m.workers > 1 else ''}"
    return [
        Figure(NAME, f"settlements ({label})", m.settle["rps"], "req/s", note=f"pgbench -f {m.limit.tps:,.0f} TPS"),
        Figure(NAME, f"settlements ÷ pgbench -f ({label})", m.ratio, "×"),
        Figure(NAME, f"settlement p99 ({label})", m.settle["p99_ms"], "ms"),
    ]
