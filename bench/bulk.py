"""Bulk load of insured persons by COPY: persons, their accounts, active cards with
their issue and activation transitions, and opening deposits as postings.

`load_persons(url, count, secret=…)` adds `count` persons to a migrated sscard database
in one transaction, as the product itself would have written them: valid GB 11643 ID
numbers, card numbers with their Luhn digit from each district's serial counter (which
moves past them), PINs hashed under the server's key, balance = the sum of the postings,
id sequences moved on, one audit event. Two processes make the rows in batches while
the database takes them in, by COPY, one table after the other.

When the load is at least as large as what the tables hold, the keys, unique
constraints, foreign keys (to and from these tables) and plain indexes are dropped
first and made again from their catalogue definitions at the end, as pg_restore does:
each is then checked over all rows at once instead of row by row, and a violation rolls
the whole load back. Tables that start empty are loaded with COPY FREEZE. The tables are
locked against writers throughout (and against readers while their constraints are
away): a load is for a maintenance window, not for a serving database.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.json import Json
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import make_url

from sscard.cards.numbers import is_card_no, make_card_no
from sscard.cards.pin import PinHasher
from sscard.cards.validity import last_valid_day
from sscard.people.idnumber import check_character, parse_id_number
from sscard.people.names import normalise_name
from sscard.people.schemes import Scheme
from sscard.policy.regions import BUILTIN_REGIONS, PROVINCE_CODES, Level

TABLES = ("persons", "accounts", "cards", "card_transitions", "postings")
# Persons live in the built-in districts, in turn; an ID number's address code is a district.
DISTRICTS = tuple(region.code for region in BUILTIN_REGIONS if region.level is Level.district)
BANKS = ("ICBC", "ABC", "BOC", "CCB", "BOCOM", "PSBC")
SCHEMES = tuple(scheme.value for scheme in Scheme)
ACTOR = "bulk-load"
BATCH = 20_000
# Processes that make the rows (while the database takes them in) and batches made ahead.
GENERATORS, AHEAD = max(1, min(2, os.cpu_count() or 1)), 4

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰红"
NAMES = tuple(s + a + b for s in _SURNAMES for a in _GIVEN for b in _GIVEN)

# GB 11643's check character is a weighted sum mod 11, so the sums of an ID number's
# parts (address, birth date, sequence) are computed once and added per person.
_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_ID_CHECK = "10X98765432"
_FIRST_BIRTH, BIRTH_DAYS = date(1940, 1, 1), 29_220  # 80 years


def _id_sum(digits: str, offset: int) -> int:
    return sum(int(d) * w for d, w in zip(digits, _ID_WEIGHTS[offset : offset + len(digits)], strict=True))


_BIRTHS = tuple((_FIRST_BIRTH + timedelta(days=d)).strftime("%Y%m%d") for d in range(BIRTH_DAYS))
_BIRTH_SUMS = tuple(_id_sum(b, 6) for b in _BIRTHS)
_SEQUENCES = tuple(f"{s:03d}" for s in range(1000))
_SEQUENCE_SUMS = tuple(_id_sum(s, 14) for s in _SEQUENCES)
_DISTRICT_SUMS = tuple(_id_sum(code, 0) for code in DISTRICTS)


def _luhn_part(digits: str, position: int) -> int:
    """Luhn's sum of digits whose last one sits `position` places from the payload's end."""
    total = 0
    for offset, char in enumerate(reversed(digits)):
        digit = int(char)
        if (position + offset) % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total


# A card number is region (6) + serial (9) + Luhn digit: the serial's three-digit groups
# and the region each add a fixed part to the Luhn sum.
_LUHN_GROUPS = tuple(tuple(_luhn_part(f"{v:03d}", 3 * g) for v in range(1000)) for g in range(3))
_LUHN_DISTRICTS = tuple(_luhn_part(code, 9) for code in DISTRICTS)


def id_number(person_id: int) -> str:
    """The person's ID number: district, birth date and sequence follow from the id."""
    rest, district = divmod(person_id, len(DISTRICTS))
    seq, day = divmod(rest, BIRTH_DAYS)
    total = _DISTRICT_SUMS[district] + _BIRTH_SUMS[day] + _SEQUENCE_SUMS[seq]
    return f"{DISTRICTS[district]}{_BIRTHS[day]}{_SEQUENCES[seq]}{_ID_CHECK[total % 11]}"


def card_no(district: int, serial: int) -> str:
    """make_card_no(DISTRICTS[district], serial), from the precomputed Luhn parts."""
    high, rest = divmod(serial, 1_000_000)
    middle, low = divmod(rest, 1000)
    total = _LUHN_DISTRICTS[district] + _LUHN_GROUPS[0][low] + _LUHN_GROUPS[1][middle] + _LUHN_GROUPS[2][high]
    return f"{DISTRICTS[district]}{serial:09d}{-total % 10}"


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a load starts: the last ids in use and each district's last card serial."""

    count: int
    person0: int
    card0: int
    transition0: int
    posting0: int
    serial0: tuple[int, ...]
    balance: int
    pin_key: bytes
    pin: str
    at: str

    def person_id(self, index: int) -> int:
        """The id of the index-th person of this load."""
        return self.person0 + 1 + index

    def card_no(self, person_id: int) -> str:
        """The card number of a loaded person: its district's next serials, in id order."""
        district = person_id % len(DISTRICTS)
        first = self.person0 + 1 + (district - self.person0 - 1) % len(DISTRICTS)
        return card_no(district, self.serial0[district] + 1 + (person_id - first) // len(DISTRICTS))

    def last_serials(self) -> dict[str, int]:
        """Each district's card serial counter after the load."""
        last = {}
        for district, code in enumerate(DISTRICTS):
            first = self.person0 + 1 + (district - self.person0 - 1) % len(DISTRICTS)
            issued = max(0, (self.person0 + self.count - first) // len(DISTRICTS) + 1)
            last[code] = self.serial0[district] + issued
        return last

    def pin_hasher(self) -> Callable[[str], str]:
        """PinHasher.hash(number, pin) for this PIN, with HMAC's padded key states made
        once: half the cost of an hmac call per card."""
        key = self.pin_key.ljust(hashlib.sha256().block_size, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        suffix = f":{self.pin}".encode()

        def pin_hash(number: str) -> str:
            message, digest = inner.copy(), outer.copy()
            message.update(number.encode() + suffix)
            digest.update(message.digest())
            return digest.hexdigest()

        return pin_hash


def persons_rows(plan: Plan, lo: int, hi: int) -> str:
    """persons: id, id_number, name, region_code, scheme, unit_name, phone, created_at, birth_date."""
    n, s = len(NAMES), len(SCHEMES)
    return "".join(
        f"{p}\t{number}\t{NAMES[p % n]}\t{DISTRICTS[p % len(DISTRICTS)]}\t{SCHEMES[p % s]}\t\\N\t\\N\t{plan.at}"
        f"\t{number[6:14]}\n"  # the birth date, YYYYMMDD, which PostgreSQL reads as a date
        for p in range(plan.person_id(lo), plan.person_id(hi))
        for number in (id_number(p),)
    )


def accounts_rows(plan: Plan, lo: int, hi: int) -> str:
    """accounts: person_id, balance, held, updated_at."""
    tail = f"\t{plan.balance}\t0\t{plan.at}\n"
    return "".join(f"{p}{tail}" for p in range(plan.person_id(lo), plan.person_id(hi)))


def cards_rows(plan: Plan, lo: int, hi: int) -> str:
    """cards, active with the PIN: id, card_no, person_id, region_code, bank, status,
    pin_hash, pin_changed_by_holder, pin_failures, pin_locked_at, issued_at,
    activated_at, status_changed_at, lost_since, replaced_by, replacement_for, valid_until
    (R-CARD-4: ten years from the load)."""
    at, offset, pin_hash = plan.at, plan.card0 - plan.person0, plan.pin_hasher()
    valid_until = last_valid_day(date.fromisoformat(at[:10]), 10).isoformat()
    tail = f"\tf\t0\t\\N\t{at}\t{at}\t{at}\t\\N\t\\N\t\\N\t{valid_until}\n"
    lines = []
    for p in range(plan.person_id(lo), plan.person_id(hi)):
        number = plan.card_no(p)
        bank = BANKS[p % len(BANKS)]
        lines.append(f"{p + offset}\t{number}\t{p}\t{number[:6]}\t{bank}\tactive\t{pin_hash(number)}{tail}")
    return "".join(lines)


def transitions_rows(plan: Plan, lo: int, hi: int) -> str:
    """card_transitions, issued then activated: id, card_id, from_status, to_status,
    reason, channel, actor, at."""
    issued = f"\t\\N\tunactivated\tissued\tcounter\t{ACTOR}\t{plan.at}\n"
    activated = f"\tunactivated\tactive\tactivated\tcounter\t{ACTOR}\t{plan.at}\n"
    first = plan.transition0 + 1
    return "".join(
        f"{first + 2 * i}\t{plan.card0 + 1 + i}{issued}{first + 2 * i + 1}\t{plan.card0 + 1 + i}{activated}"
        for i in range(lo, hi)
    )


def postings_rows(plan: Plan, lo: int, hi: int) -> str:
    """postings, one opening deposit each: id, person_id, amount, balance_after, kind,
    ref, memo, at."""
    tail = f"\t{plan.balance}\t{plan.balance}\tdeposit\t\\N\topening balance\t{plan.at}\n"
    offset = plan.posting0 - plan.person0
    return "".join(f"{p + offset}\t{p}{tail}" for p in range(plan.person_id(lo), plan.person_id(hi)))


Rows = Callable[[Plan, int, int], str]
COPIES: tuple[tuple[str, tuple[str, ...], Rows, int], ...] = (
    (
        "persons",
        ("id", "id_number", "name", "region_code", "scheme", "unit_name", "phone", "created_at", "birth_date"),
        persons_rows,
        1,
    ),
    ("accounts", ("person_id", "balance", "held", "updated_at"), accounts_rows, 1),
    (
        "cards",
        (
            "id",
            "card_no",
            "person_id",
            "region_code",
            "bank",
            "status",
            "pin_hash",
            "pin_changed_by_holder",
            "pin_failures",
            "pin_locked_at",
            "issued_at",
            "activated_at",
            "status_changed_at",
            "lost_since",
            "replaced_by",
            "replacement_for",
            "valid_until",
        ),
        cards_rows,
        1,
    ),
    (
        "card_transitions",
        ("id", "card_id", "from_status", "to_status", "reason", "channel", "actor", "at"),
        transitions_rows,
        2,
    ),
    ("postings", ("id", "person_id", "amount", "balance_after", "kind", "ref", "memo", "at"), postings_rows, 1),
)


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a load did and how long it took (COPY, rebuilding, ANALYZE: all of it)."""

    plan: Plan
    seconds: float
    rebuilt: bool

    @property
    def persons_per_second(self) -> float:
        return self.plan.count / self.seconds


def _advance(progress: Progress, task: TaskID, per_person: int, persons: int) -> None:
    progress.advance(task, persons * per_person)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://…) as libpq takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load_persons(
    url: str, count: int, *, secret: bytes, pin: str = "246810", balance: int = 100_000, batch: int = BATCH
) -> Loaded:
    """Add `count` persons with accounts, active cards (this PIN) and this opening balance."""
    if count < 1:
        raise ValueError("load at least one person")
    started = time.perf_counter()
    with (
        _generators() as pool,
        psycopg.connect(libpq_url(url)) as conn,
        _progress() as progress,
    ):
        plan, strategy = _begin(conn, count, secret=secret, pin=pin, balance=balance)
        _drop(conn, strategy)
        for table, columns, rows, per_person in COPIES:
            task = progress.add_task(table, total=count * per_person)
            advance = functools.partial(_advance, progress, task, per_person)
            _copy(conn, table, columns, _batches(pool, plan, rows, batch, advance), freeze=strategy.freeze)
        _rebuild(conn, strategy.deferred, progress)
        _finish(conn, plan)
        conn.commit()
    return Loaded(plan=plan, seconds=time.perf_counter() - started, rebuilt=bool(strategy.deferred))


@contextmanager
def _generators() -> Iterator[Executor]:
    """Processes that make rows, forked at once, before any thread of ours starts."""
    with ProcessPoolExecutor(GENERATORS, mp_context=multiprocessing.get_context("fork")) as pool:
        pool.submit(int).result()  # a fork context starts every process on the first task
        yield pool


@contextmanager
def _progress() -> Iterator[Progress]:
    columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        yield progress


def _begin(conn: psycopg.Connection, count: int, *, secret: bytes, pin: str, balance: int) -> tuple[Plan, Strategy]:
    """Lock the tables; read where ids and serials stand; decide what to rebuild."""
    conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
    conn.execute("SET LOCAL work_mem = '256MB'")
    conn.execute("LOCK TABLE persons, accounts, cards, card_transitions, postings, card_serials IN EXCLUSIVE MODE")
    existing = _scalar(conn, "SELECT count(*) FROM persons")
    serials: dict[str, int] = dict(conn.execute("SELECT region_code, last_serial FROM card_serials").fetchall())
    plan = Plan(
        count=count,
        person0=_last_id(conn, "persons"),
        card0=_last_id(conn, "cards"),
        transition0=_last_id(conn, "card_transitions"),
        posting0=_last_id(conn, "postings"),
        serial0=tuple(int(serials.get(code, 0)) for code in DISTRICTS),
        balance=balance,
        pin_key=hmac.new(secret, b"sscard/pin-key/v1", hashlib.sha256).digest(),
        pin=pin,
        at=datetime.now(UTC).isoformat(sep=" "),
    )
    _check_plan(plan, secret)
    deferred = _deferrable(conn) if count >= existing else []
    return plan, Strategy(deferred=deferred, freeze=bool(deferred) and _all_empty(conn))


def _all_empty(conn: psycopg.Connection) -> bool:
    exists = sql.SQL("SELECT count(*) FROM (SELECT FROM {} LIMIT 1) t")
    return not any(_scalar(conn, exists.format(sql.Identifier(table))) for table in TABLES)


@dataclass(frozen=True, slots=True)
class Strategy:
    """What the load drops and rebuilds; and whether the tables start empty, so that
    they can be truncated (a no-op, once nothing refers to them) and loaded with COPY
    FREEZE: rows written frozen and visible to all, no hint bits to set on first read."""

    deferred: list[Ddl]
    freeze: bool


def _check_plan(plan: Plan, secret: bytes) -> None:
    """The numbers fit their formats, and the fast paths agree with the product's own
    functions (make_card_no raises for a serial out of range)."""
    last = plan.person_id(plan.count - 1)
    _require(last // len(DISTRICTS) // BIRTH_DAYS < len(_SEQUENCES), f"no ID numbers left for person {last}")
    for p in (plan.person_id(0), last, plan.person_id(plan.count // 2)):
        number, card = id_number(p), plan.card_no(p)
        _require(number[17] == check_character(number[:17]), f"check character of {number}")
        _require(card == make_card_no(card[:6], int(card[6:15])), f"Luhn digit of {card}")
        _require(PinHasher(secret).verify(card, plan.pin, plan.pin_hasher()(card)), "the PIN hash")


def _scalar(conn: psycopg.Connection, query: str | sql.Composed, *args: object) -> int:
    row = conn.execute(query, args or None).fetchone()
    _require(row is not None, f"no row from {query!r}")
    return int(row[0] or 0) if row else 0


def _last_id(conn: psycopg.Connection, table: str) -> int:
    """The highest id in use: in the table, or handed out by its sequence."""
    query = sql.SQL(
        "SELECT greatest((SELECT max(id) FROM {t}), (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {s}))"
    ).format(t=sql.Identifier(table), s=sql.Identifier(f"{table}_id_seq"))
    return _scalar(conn, query)


@dataclass(frozen=True, slots=True)
class Ddl:
    """A constraint or index dropped for the load, and how to make it again."""

    drop: sql.Composed
    create: sql.Composed
    name: str
    foreign: bool = False


# Foreign keys from or to the loaded tables, then their primary keys and unique
# constraints; then indexes no constraint owns. Dropped in this order, made in reverse.
# A partial index stays: PostgreSQL would deparse its predicate into another spelling.
_CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype = 'f'
FROM pg_constraint c
WHERE c.contype IN ('f', 'p', 'u') AND (c.conrelid = ANY(%(t)s::regclass[]) OR c.confrelid = ANY(%(t)s::regclass[]))
ORDER BY c.contype = 'f' DESC, c.conrelid::regclass::text, c.conname
"""
_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY(%(t)s::regclass[]) AND i.indpred IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
ORDER BY 1
"""


def _deferrable(conn: psycopg.Connection) -> list[Ddl]:
    """Every constraint and index that would be checked row by row during COPY (check
    constraints stay: they cost little); see _CONSTRAINTS."""
    tables = {"t": list(TABLES)}
    found = [
        Ddl(
            drop=sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)),
            create=sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(name))
            + sql.SQL(definition),
            name=name,
            foreign=foreign,
        )
        for table, name, definition, foreign in conn.execute(_CONSTRAINTS, tables).fetchall()
    ]
    found += [
        Ddl(drop=sql.SQL("DROP INDEX {}").format(sql.Identifier(name)), create=sql.SQL(definition), name=name)  # type: ignore[arg-type]
        for name, definition in conn.execute(_INDEXES, tables).fetchall()
    ]
    return found


def _drop(conn: psycopg.Connection, strategy: Strategy) -> None:
    for ddl in strategy.deferred:
        conn.execute(ddl.drop)
    if strategy.freeze:
        conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, TABLES))))


def _rebuild(conn: psycopg.Connection, deferred: list[Ddl], progress: Progress) -> None:
    """Keys and indexes, then ANALYZE, then the foreign keys: with the statistics (and the
    visibility map that COPY FREEZE set) each check can be a merge of two index scans."""
    task = progress.add_task("keys, indexes", total=sum(not ddl.foreign for ddl in deferred))
    for ddl in reversed(deferred):
        if not ddl.foreign:
            conn.execute(ddl.create)
            progress.advance(task)
    _analyze(conn, progress)
    task = progress.add_task("foreign keys", total=sum(ddl.foreign for ddl in deferred))
    for ddl in reversed(deferred):
        if ddl.foreign:
            conn.execute(ddl.create)
            progress.advance(task)


def _copy(
    conn: psycopg.Connection, table: str, columns: Iterable[str], batches: Iterator[bytes], *, freeze: bool
) -> None:
    """COPY generated rows, a batch at a time; a thread sends one while the next is made."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(" WITH (FREEZE)" if freeze else ""),
    )
    with conn.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for rows in batches:
            copy.write(rows)


def _batches(pool: Executor, plan: Plan, rows: Rows, batch: int, advance: Callable[[int], None]) -> Iterator[bytes]:
    """The table's rows in batches, made by the pool's processes a few batches ahead."""
    bounds = iter([(lo, min(lo + batch, plan.count)) for lo in range(0, plan.count, batch)])
    ahead: deque[tuple[int, Future[bytes]]] = deque()
    for lo, hi in itertools.islice(bounds, AHEAD):
        ahead.append((hi - lo, pool.submit(_generate, rows, plan, lo, hi)))
    while ahead:
        persons, future = ahead.popleft()
        for lo, hi in itertools.islice(bounds, 1):
            ahead.append((hi - lo, pool.submit(_generate, rows, plan, lo, hi)))
        yield future.result()
        advance(persons)


def _generate(rows: Rows, plan: Plan, lo: int, hi: int) -> bytes:
    return rows(plan, lo, hi).encode()


def _finish(conn: psycopg.Connection, plan: Plan) -> None:
    """Sequences past the new ids, the serial counters past the new cards, one audit event."""
    last = {"persons": plan.person0, "cards": plan.card0, "card_transitions": plan.transition0}
    last |= {"postings": plan.posting0}
    for table, before in last.items():
        added = plan.count * (2 if table == "card_transitions" else 1)
        conn.execute("SELECT setval(%s, %s)", (f"{table}_id_seq", before + added))
    conn.cursor().executemany(
        "INSERT INTO card_serials (region_code, last_serial) VALUES (%s, %s)"
        " ON CONFLICT (region_code) DO UPDATE SET last_serial = EXCLUDED.last_serial",
        list(plan.last_serials().items()),
    )
    detail = {
        "count": plan.count,
        "first_person_id": plan.person_id(0),
        "last_person_id": plan.person_id(plan.count - 1),
    }
    conn.execute(
        "INSERT INTO audit_events (at, actor, role, action, object_type, object_id, detail)"
        " VALUES (%s, %s, 'admin', 'person.bulk_load', 'person', %s, %s)",
        (plan.at, ACTOR, f"{detail['first_person_id']}-{detail['last_person_id']}", Json(detail)),
    )


def _analyze(conn: psycopg.Connection, progress: Progress) -> None:
    task = progress.add_task("analyze", total=1)
    conn.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, TABLES))))
    progress.advance(task)


def migrate(url: str, env: Mapping[str, str]) -> None:
    """`sscard db upgrade` on a database (the schema and the built-in regions), with
    the server's environment `env`."""
    command = [sys.executable, "-m", "sscard.cli", "db", "upgrade"]
    result = subprocess.run(
        command, env={**env, "SSCARD_DATABASE_URL": url}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"sscard db upgrade failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")


def check_sample(url: str, loaded: Loaded, secret: bytes, size: int = 1000) -> int:
    """Raise unless a random sample of the loaded persons reads as the product wrote
    it: a valid ID number and name, an active card with a valid number and the PIN,
    two transitions, and balance = the sum of the postings. The number checked."""
    plan = loaded.plan
    picks = random.Random(plan.count).sample(range(plan.count), min(size, plan.count))  # noqa: S311 (a sample)
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(_SAMPLE, ([plan.person_id(i) for i in picks],)).fetchall()
    _require(len(rows) == len(picks), f"{len(picks) - len(rows)} sampled persons lack an account or a card")
    for row in rows:
        _check_row(plan, PinHasher(secret), *row)
    return len(rows)


def _check_row(
    plan: Plan,
    pins: PinHasher,
    person_id: int,
    number: str,
    name: str,
    region: str,
    card: str,
    status: str,
    pin_hash: str,
    balance: int,
    posted: int,
    transitions: int,
) -> None:
    today = datetime.now(UTC).date()
    _require(parse_id_number(number, today=today, known_provinces=PROVINCE_CODES).region_code == region, number)
    _require(normalise_name(name) == name, name)
    _require(card == plan.card_no(person_id) and is_card_no(card) and status == "active", card)
    _require(pins.verify(card, plan.pin, pin_hash), f"card {card}: the PIN does not verify")
    _require(balance == posted == plan.balance, f"person {person_id}: balance {balance}, postings {posted}")
    _require(transitions == 2, f"card {card}: {transitions} transitions")


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise RuntimeError(f"bulk load check failed: {problem}")


_SAMPLE = """
SELECT p.id, p.id_number, p.name, p.region_code, c.card_no, c.status, c.pin_hash, a.balance,
       (SELECT sum(amount) FROM postings s WHERE s.person_id = p.id),
       (SELECT count(*) FROM card_transitions t WHERE t.card_id = c.id)
FROM persons p JOIN accounts a ON a.person_id = p.id JOIN cards c ON c.person_id = p.id
WHERE p.id = ANY(%s)
"""
