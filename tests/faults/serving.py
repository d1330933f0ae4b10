"""What the server fault tests share: a durable PostgreSQL, `sscard serve --workers N` in
a process of its own, terminals settling under load, and the money's invariants."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import psycopg
import pytest
from sqlalchemy import make_url

from sscard.people.idnumber import check_character
from sscard.testing.postgres import TemporaryPostgres, find_pg_bindir
from tests.servers import free_port

SECRET = "fault-secret-" + "x" * 40
ADMIN, ADMIN_PASSWORD = "fault.admin", "fault admin password"
CLERK, CLERK_PASSWORD = "fault.clerk", "fault clerk password"
PIN = "246810"
SS = shutil.which("ss") or "/usr/bin/ss"  # iproute2: which process holds which socket
GRACE_SECONDS = 5
# A generous bound for anything the tests wait on (a worker replaced, a port freed): never
# an assertion on how long it took, only a limit so that a hang fails instead of hanging.
PATIENCE_SECONDS = 120.0
# What a terminal may be told while a server restarts under it (issue 14).
ANSWERS = frozenset({201, 402, 503})
# Durable, unlike the fast throwaway cluster of the other tests: a fault must not lose
# what the database acknowledged.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "max_connections": "300"}


@pytest.fixture(scope="module")
def durable_postgres() -> Iterator[TemporaryPostgres]:
    """A PostgreSQL cluster of the module's own, with durable settings."""
    if find_pg_bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with TemporaryPostgres(settings=DURABLE) as server:
        yield server


def fresh_database(server: TemporaryPostgres) -> str:
    """A new empty database on the cluster; its SQLAlchemy URL."""
    return server.create_database(f"faults_{uuid.uuid4().hex[:12]}")


def libpq(url: str) -> str:
    """The URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Served:
    """`sscard serve` running in its own process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def listeners(self) -> set[int]:
        """The pids of the processes listening on the port."""
        return {pid for _, pid in _sockets(self.port, "listening")}

    def connections(self) -> dict[int, int]:
        """Each established connection's client port, and the pid serving it."""
        return dict(_sockets(self.port, "established"))

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        """Wait until the condition holds (at most PATIENCE_SECONDS)."""
        deadline = time.monotonic() + PATIENCE_SECONDS
        while not condition():
            assert time.monotonic() < deadline, f"{what}: not within {PATIENCE_SECONDS} s\n{self.log.read_text()}"
            time.sleep(0.05)

    def wait_serving(self, workers: int) -> None:
        """Until the port is served by `workers` processes that answer /healthz."""
        self.wait_for(lambda: len(self.listeners()) >= workers and healthy(self.base), f"{workers} workers serving")


def _sockets(port: int, state: str) -> list[tuple[int, int]]:
    # ss names the process of each socket; the peer's port for a connection, 0 for a listener.
    lines = subprocess.run(
        [SS, "-Htnp", "state", state, f"( sport = :{port} )"], capture_output=True, text=True, check=True
    ).stdout
    found = []
    for line in lines.splitlines():
        peer = re.search(r":\d+\s+\S+:(\d+|\*)\s", line)
        peer_port = int(peer.group(1)) if peer and peer.group(1) != "*" else 0
        found += [(peer_port, int(pid)) for pid in re.findall(r"pid=(\d+)", line)]
    return found


def healthy(base: str) -> bool:
    """Whether the server's /healthz answers 200 now."""
    try:
        return httpx2.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx2.TransportError:
        return False


def server_env(database_url: str, tmp: Path) -> dict[str, str]:
    """Production settings: a real secret, a bootstrap admin, the grace period of the tests."""
    return os.environ | {
        "SSCARD_DATABASE_URL": database_url,
        "SSCARD_SECRET_KEY": SECRET,
        "SSCARD_ISSUER_KEY": SECRET,
        "SSCARD_ADMIN_USER": ADMIN,
        "SSCARD_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SSCARD_PASSWORD_HASH_PROFILE": "CHEAPEST",
        "SSCARD_JOBS_INTERVAL_SECONDS": "0",
        "SSCARD_VAR_DIR": str(tmp / "var"),
        "SSCARD_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
    }


def start_server(database_url: str, tmp: Path, workers: int, port: int | None = None) -> Served:
    """Start `sscard serve --workers N` (a free port unless given); wait until it serves."""
    served = launch_server(database_url, tmp, workers, port)
    served.wait_serving(workers)
    return served


def launch_server(database_url: str, tmp: Path, workers: int, port: int | None = None) -> Served:
    """Start `sscard serve --workers N` (a free port unless given); return at once."""
    port = port or free_port()
    log = tmp / f"server-{port}-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "sscard.cli", "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=server_env(database_url, tmp), stdout=output, stderr=subprocess.STDOUT, cwd=tmp
        )
    return Served(process, port, log)


@contextmanager
def serving(database_url: str, tmp: Path, workers: int) -> Iterator[Served]:
    """A server for the block; killed with its workers afterwards, whatever happened."""
    served = start_server(database_url, tmp, workers)
    try:
        yield served
    finally:
        stop_hard(served)


def stop_hard(served: Served) -> None:
    """SIGKILL the master and every process still listening on the port."""
    for pid in {served.process.pid, *served.listeners()}:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    served.process.wait(PATIENCE_SECONDS)


def alive(pid: int) -> bool:
    """Whether a process of that id exists (and is not a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def id_number(serial: int) -> str:
    """A valid Beijing resident ID number for each serial below 999."""
    first17 = f"11010519800101{serial + 1:03d}"
    return first17 + check_character(first17)


@dataclass
class Shop:
    """A designated pharmacy's terminal and funded cards, made through the API."""

    base: str
    terminal_token: str
    cards: list[str]
    balance: int

    @classmethod
    def open(cls, base: str, cards: int, balance: int) -> Shop:
        """Make a clerk, `cards` funded cards with their PIN, and a terminal."""
        with _signed_in(base, ADMIN, ADMIN_PASSWORD) as admin:
            clerk_user = {"username": CLERK, "password": CLERK_PASSWORD, "role": "clerk", "region": "000000"}
            _ok(admin.post("/v1/users", json=clerk_user))
            with _signed_in(base, CLERK, CLERK_PASSWORD) as clerk:
                numbers = [_funded_card(admin, clerk, serial, balance) for serial in range(cards)]
            pharmacy = _ok(
                admin.post(
                    "/v1/institutions",
                    json={"name": "故障大药房", "kind": "pharmacy", "region": "110105", "designated": True},
                )
            )
            terminal = _ok(admin.post(f"/v1/institutions/{pharmacy['institution_id']}/terminals"))
        form = {
            "grant_type": "client_credentials",
            "client_id": terminal["terminal_id"],
            "client_secret": terminal["client_secret"],
        }
        token = _ok(httpx2.post(f"{base}/v1/auth/token", data=form))["access_token"]
        return cls(base, str(token), numbers, balance)


def _funded_card(admin: httpx2.Client, clerk: httpx2.Client, serial: int, balance: int) -> str:
    holder = {"id_number": id_number(serial), "name": "故障测试", "region": "110105", "scheme": "employee"}
    person = _ok(admin.post("/v1/persons", json=holder))
    card = _ok(clerk.post(f"/v1/persons/{person['person_id']}/cards", json={"bank": "ICBC"}))
    _ok(clerk.post(f"/v1/cards/{card['card_no']}/activate", json={"pin": PIN}))
    _ok(admin.post(f"/v1/persons/{person['person_id']}/deposits", json={"amount": balance}))
    return str(card["card_no"])


def _signed_in(base: str, username: str, password: str) -> httpx2.Client:
    form = {"grant_type": "password", "username": username, "password": password}
    token = _ok(httpx2.post(f"{base}/v1/auth/token", data=form))["access_token"]
    return httpx2.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})


def _ok(response: httpx2.Response) -> dict[str, object]:
    assert response.is_success, response.text
    return dict(response.json())


@dataclass
class Attempt:
    """One settlement a terminal sent: its key, card, amount, and what came back."""

    key: str
    card_no: str
    amount: int
    status: int | None = None  # None: no answer (the connection failed)
    settlement_id: int | None = None
    error: str | None = None  # the transport error's class, when there was no answer
    client_port: int | None = None  # the terminal's end of the connection that answered


@dataclass
class Load:
    """Terminals settling in a loop, each on its own keep-alive connection and card."""

    shop: Shop
    clients: int
    amount: int = 100
    attempts: list[Attempt] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Whether every terminal connects at the same instant (a burst, as after a restart).
    burst: bool = False
    _barrier: threading.Barrier | None = None

    def start(self) -> None:
        """Start the terminals."""
        self._barrier = threading.Barrier(self.clients) if self.burst else None
        for index in range(self.clients):
            thread = threading.Thread(target=self._terminal, args=(index,), name=f"terminal-{index}")
            thread.start()
            self._threads.append(thread)

    def finish(self) -> None:
        """Stop the terminals and wait for them."""
        self.stop.set()
        for thread in self._threads:
            thread.join(PATIENCE_SECONDS)

    def answered(self) -> int:
        """How many attempts had an answer so far."""
        with self._lock:
            return sum(1 for attempt in self.attempts if attempt.status is not None)

    def _terminal(self, index: int) -> None:
        card_no = self.shop.cards[index % len(self.shop.cards)]
        headers = {"Authorization": f"Bearer {self.shop.terminal_token}"}
        with httpx2.Client(base_url=self.shop.base, timeout=PATIENCE_SECONDS, headers=headers) as client:
            if self._barrier is not None:
                self._barrier.wait(PATIENCE_SECONDS)
            while not self.stop.is_set():
                attempt = Attempt(uuid.uuid4().hex, card_no, self.amount)
                with self._lock:
                    self.attempts.append(attempt)
                send(client, attempt)
                if attempt.status is None:
                    time.sleep(0.05)  # a terminal's pause before it tries the next sale


def send(client: httpx2.Client, attempt: Attempt) -> None:
    """POST the attempt's settlement under its key; record the answer or the failure."""
    body = {"card_no": attempt.card_no, "pin": PIN, "amount": attempt.amount, "category": "drug"}
    try:
        response = client.post("/v1/settlements", json=body, headers={"Idempotency-Key": attempt.key})
    except httpx2.TransportError as exc:
        attempt.error = type(exc).__name__
        return
    attempt.status = response.status_code
    stream = response.extensions.get("network_stream")
    with contextlib.suppress(OSError):
        attempt.client_port = None if stream is None else int(stream.get_extra_info("client_addr")[1])
    if response.status_code == 201:
        attempt.settlement_id = int(response.json()["settlement_id"])


def settle_the_unanswered(shop: Shop, attempts: list[Attempt]) -> None:
    """Retry every attempt that had no answer, with its own key, until it has one: what a
    terminal does after a fault (the same key cannot charge twice)."""
    headers = {"Authorization": f"Bearer {shop.terminal_token}"}
    with httpx2.Client(base_url=shop.base, timeout=PATIENCE_SECONDS, headers=headers) as client:
        for attempt in attempts:
            if attempt.status is None:
                send(client, attempt)
                assert attempt.status is not None, f"a retry of {attempt.key} failed: {attempt.error}"


def assert_the_money_holds(database_url: str, shop: Shop, attempts: list[Attempt]) -> None:
    """Every balance is the sum of its postings; every acknowledged settlement is there,
    once; each card was charged exactly what its 201s say; same-key retries agree."""
    assert {a.status for a in attempts} <= ANSWERS, Counter(a.status for a in attempts)
    charged = Counter[str]()
    for attempt in attempts:
        if attempt.status == 201:
            charged[attempt.card_no] += attempt.amount
    acknowledged = {a.settlement_id for a in attempts if a.settlement_id is not None}
    assert len(acknowledged) == sum(1 for a in attempts if a.status == 201), "two keys acknowledged one settlement"
    with psycopg.connect(libpq(database_url)) as conn:
        unbalanced = conn.execute(
            "SELECT a.person_id FROM accounts a LEFT JOIN postings p ON p.person_id = a.person_id"
            " GROUP BY a.person_id, a.balance HAVING a.balance <> COALESCE(SUM(p.amount), 0)"
        ).fetchall()
        assert unbalanced == [], "a balance is not the sum of its postings"
        stored = {row[0] for row in conn.execute("SELECT id FROM settlements WHERE status = 'approved'")}
        assert acknowledged <= stored, f"acknowledged settlements lost: {sorted(acknowledged - stored)[:10]}"
        assert stored <= acknowledged, f"settlements nobody was told of: {sorted(stored - acknowledged)[:10]}"
        balances: dict[str, int] = dict(
            conn.execute(
                "SELECT c.card_no, a.balance FROM cards c JOIN accounts a ON a.person_id = c.person_id"
            ).fetchall()
        )
    for card_no in shop.cards:
        assert balances[card_no] == shop.balance - charged[card_no], card_no
