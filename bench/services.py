"""What benchmarks start on loopback: PostgreSQL, `sscard serve`, the load process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

from sscard.testing.postgres import TemporaryPostgres

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-" + "x" * 40
ADMIN, ADMIN_PASSWORD = "bench.admin", "bench admin password"


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres(**settings: str) -> Iterator[TemporaryPostgres]:
    """A throwaway PostgreSQL cluster sized for load, and durable as production is: every
    commit is flushed to disk before it is acknowledged (the tests' clusters are not)."""
    durable = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    sized = {"max_connections": "400", "shared_buffers": "512MB"}
    with TemporaryPostgres(settings={**sized, **durable, **settings}) as server:
        yield server


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production settings for `sscard serve`: a real secret, a bootstrap admin."""
    return os.environ | {
        "SSCARD_DATABASE_URL": database_url,
        "SSCARD_SECRET_KEY": SECRET,
        "SSCARD_ISSUER_KEY": SECRET,
        "SSCARD_ADMIN_USER": ADMIN,
        "SSCARD_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SSCARD_JOBS_INTERVAL_SECONDS": "0",
        **extra,
    }


@contextmanager
def sscard_server(database_url: str, workers: int, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """`sscard serve --workers N` on a free port; its base URL until the block ends."""
    port = free_port()
    log = ROOT / "bench" / "results" / f"server-{port}.log"
    log.parent.mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "sscard.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "WARNING",
    ]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=dict(env or server_env(database_url)), stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, process, log)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=60)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sscard serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx2.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("sscard serve did not become healthy in 120 s")


def load(scenario: str, **options: Any) -> dict[str, Any]:
    """Run bench/load.py in its own process (the load never shares the server's
    process) and return what it measured."""
    command = [sys.executable, "-m", "bench.load", scenario, "--options", json.dumps(options)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"load {scenario} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.splitlines()[-1]))


def admin_token(base: str) -> str:
    """A bearer token for the bootstrap admin."""
    form = {"grant_type": "password", "username": ADMIN, "password": ADMIN_PASSWORD}
    return str(httpx2.post(f"{base}/v1/auth/token", data=form, timeout=30).json()["access_token"])
