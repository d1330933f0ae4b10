"""What PostgreSQL itself does for the SQL one settlement sends: the script for `pgbench -f`.

The statements are not written out by hand: a settlement is made through a running
`sscard serve` with `log_statement = all` on its database, and the statements of that
one request's transaction are read back from the server's log, with their parameters.
In the script every parameter keeps its value except the ones that make each
transaction another settlement: the card and its holder (a random card of the loaded
ones) and the Idempotency-Key (random, as every terminal sends a new one). Picking
the card is one primary-key read of a small table before the transaction, which the
settlement does not send (wrk reads its cards from a file): pgbench pays that round
trip, so its limit is, if anything, a little low.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2
import psycopg
from psycopg import sql

from sscard.testing.postgres import TemporaryPostgres

CARDS_TABLE = "bench_cards"
LOG_LINE_PREFIX = "%p|"  # the postgres() of a captured run must log with this prefix
_ENTRY = re.compile(r"^(\d+)\|(LOG|DETAIL|ERROR|STATEMENT|HINT|WARNING):  (.*)$")
_PARAMETER = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
_PLACEHOLDER = re.compile(r"\$(\d+)\b")


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement as the server logged it, with its parameters' literals by number."""

    text: str
    parameters: dict[int, str]


def connect(pg: TemporaryPostgres, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname=database, autocommit=True)


def log_statements(pg: TemporaryPostgres, database: str, *, on: bool) -> None:
    """Log every statement of new connections to `database`, or stop."""
    with connect(pg) as conn:
        setting = sql.SQL("SET log_statement = 'all'") if on else sql.SQL("RESET log_statement")
        conn.execute(sql.SQL("ALTER DATABASE {} ").format(sql.Identifier(database)) + setting)


def settle_once(base: str, token: str, card_no: str, pin: str, key: str) -> None:
    body = {"card_no": card_no, "pin": pin, "amount": 1_234, "category": "drug"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    response = httpx2.post(f"{base}/v1/settlements", json=body, headers=headers, timeout=30)
    if response.status_code != 201:
        raise RuntimeError(f"the captured settlement was not approved: {response.status_code} {response.text}")


def read_log(pg: TemporaryPostgres) -> list[tuple[int, str, str]]:
    """The server log as (pid, kind, text) entries, continuation lines joined."""
    entries: list[tuple[int, str, str]] = []
    for line in (pg.data_dir / "server.log").read_text(encoding="utf-8", errors="replace").splitlines():
        match = _ENTRY.match(line)
        if match:
            entries.append((int(match.group(1)), match.group(2), match.group(3)))
        elif entries and line.startswith("\t"):
            pid, kind, text = entries[-1]
            entries[-1] = (pid, kind, text + "\n" + line)
    return entries


def settlement_statements(entries: Sequence[tuple[int, str, str]], key: str) -> list[Statement]:
    """The statements, BEGIN to COMMIT, of the transaction that stored Idempotency-Key `key`."""
    marker = f"$2 = '{key}'"
    stored = next(
        i
        for i in range(len(entries) - 1, -1, -1)
        if entries[i][1] == "DETAIL" and marker in entries[i][2] and "INSERT INTO idempotency" in entries[i - 1][2]
    )
    pid = entries[stored][0]
    mine = [(kind, text) for p, kind, text in entries if p == pid]
    position = sum(1 for p, _, _ in entries[: stored + 1] if p == pid) - 1
    start = max(i for i in range(position) if mine[i][0] == "LOG" and mine[i][1].startswith("statement: BEGIN"))
    end = next(i for i in range(position, len(mine)) if mine[i][1] == "statement: COMMIT")
    return _statements(mine[start : end + 1])


def _statements(entries: Sequence[tuple[str, str]]) -> list[Statement]:
    statements: list[Statement] = []
    for kind, text in entries:
        if kind == "LOG" and text.startswith("statement: "):
            statements.append(Statement(text.removeprefix("statement: "), {}))
        elif kind == "LOG" and text.startswith("execute "):
            statements.append(Statement(text.split(": ", 1)[1], {}))
        elif kind == "DETAIL" and text.startswith("parameters: ") and statements:
            found = {int(n): value for n, value in _PARAMETER.findall(text)}
            statements[-1] = Statement(statements[-1].text, found)
    return statements


def pgbench_script(statements: Sequence[Statement], card_no: str, person_id: int, key: str, cards: int) -> str:
    """The captured transaction as a pgbench script, another card and key each time."""
    variables = {f"'{card_no}'": ":card_no", f"'{key}'": ":key"}
    lines = [
        f"\\set n random(0, {cards - 1})",
        f"\\set key random(1, {2**62})",
        f"SELECT card_no, person_id FROM {CARDS_TABLE} WHERE n = :n \\gset",  # noqa: S608 (a constant name)
    ]
    for statement in statements:
        parameters = {n: variables.get(value, value) for n, value in statement.parameters.items()}
        for n in _person_parameters(statement.text):
            if statement.parameters.get(n) == f"'{person_id}'":
                parameters[n] = ":person_id"
        lines.append(_substituted(statement.text, parameters).rstrip() + ";")
    return "\n".join(lines) + "\n"


def _substituted(text: str, parameters: dict[int, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: parameters[int(m.group(1))], text)


def _person_parameters(text: str) -> list[int]:
    """Which $n stand for a person's id: in WHERE … person_id = $n, or the person_id column of an INSERT."""
    found = [int(n) for n in re.findall(r"person_id = \$(\d+)", text)]
    insert = re.match(r"INSERT INTO \w+ \(([^)]*)\) VALUES \(([^)]*)\)", text)
    if insert:
        columns = [c.strip() for c in insert.group(1).split(",")]
        values = _PLACEHOLDER.findall(insert.group(2))
        found += [int(v) for c, v in zip(columns, values, strict=False) if c == "person_id"]
    return found


def load_cards_table(pg: TemporaryPostgres, database: str, cards: Sequence[tuple[str, int]]) -> None:
    """The cards pgbench picks from, by a dense number."""
    with connect(pg, database) as conn:
        table = sql.Identifier(CARDS_TABLE)
        columns = sql.SQL("(n integer PRIMARY KEY, card_no varchar(16), person_id integer)")
        conn.execute(sql.SQL("CREATE TABLE {} ").format(table) + columns)
        with conn.cursor().copy(sql.SQL("COPY {} (n, card_no, person_id) FROM STDIN").format(table)) as copy:
            for n, (card_no, person_id) in enumerate(cards):
                copy.write_row((n, card_no, person_id))
        conn.execute(sql.SQL("ANALYZE {}").format(table))


def write_script(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script, encoding="utf-8")
    return path
