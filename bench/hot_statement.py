"""CPU per statement on the settlement's hot path, by hand (issue 14, B1):

    .venv/bin/python -m bench.hot_statement [--runs 20000] [--rounds 3]

One statement (two parameters, two literals, one row back) run on one connection of a
throwaway PostgreSQL three ways in the same process and minute: through the ORM
session as any query (`Session.execute`), as a `sscard.hot_path.HotStatement`, and by
psycopg's own cursor with the same SQL and values, which is the floor for sending it
from Python. Printed as microseconds of this process's CPU per run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Integer, String, bindparam, literal, select
from sqlalchemy.orm import Session

from sscard.db import make_engine
from sscard.hot_path import HotStatement
from sscard.testing.postgres import TemporaryPostgres

STATEMENT = select(
    (bindparam("n", type_=Integer) * 10).label("tens"),
    bindparam("owner", type_=String).label("owner"),
    literal(7).label("seven"),
    literal("approved").label("status"),
)


def _cpu_per_run(run: Callable[[int], Any], runs: int) -> float:
    run(0)  # compiled and prepared before the clock starts
    start = time.process_time()
    for n in range(runs):
        row = run(n)
    spent = time.process_time() - start
    if (row.tens, row.owner, row.seven) != (10 * (runs - 1), "trm_bench", 7):
        raise RuntimeError(f"a wrong row back: {row}")
    return 1e6 * spent / runs


def main() -> None:
    """Measure and print one line per way and round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with TemporaryPostgres() as pg:
        engine = make_engine(pg.create_database("hot_statement"))
        with Session(engine) as session:
            hot = HotStatement(STATEMENT)
            compiled = STATEMENT.compile(dialect=engine.dialect)
            driver: psycopg.Connection[Any] = session.connection().connection.driver_connection  # type: ignore[assignment]
            literals = compiled.construct_params({"n": 0, "owner": ""})
            ways: dict[str, Callable[[int], Any]] = {
                "Session.execute": lambda n: session.execute(STATEMENT, {"n": n, "owner": "trm_bench"}).one(),
                "HotStatement": lambda n: hot.first(session, {"n": n, "owner": "trm_bench"}),
                "psycopg cursor": lambda n: _psycopg(
                    driver, compiled.string, literals | {"n": n, "owner": "trm_bench"}
                ),
            }
            for round_ in range(1, args.rounds + 1):
                for name, run in ways.items():
                    print(f"round {round_}  {name:<16} {_cpu_per_run(run, args.runs):7.1f} µs CPU per run")
        engine.dispose()


def _psycopg(driver: psycopg.Connection[Any], sql: str, values: dict[str, Any]) -> Any:
    with driver.cursor(row_factory=psycopg.rows.namedtuple_row) as cursor:
        return cursor.execute(sql, values, prepare=True).fetchone()


if __name__ == "__main__":
    main()
