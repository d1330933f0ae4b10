"""`sscard serve` in a process of its own, as the README runs it: one way for every test
that needs a real server on a free loopback port (the CLI's, the docs' examples, the
terminal client's, the browser tests, the fault suite)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_environment(directory: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a demo server on a fresh SQLite file in `directory`:
    no secrets given (the demo makes its own), cheap password hashes."""
    env = os.environ.copy() | {
        "SSCARD_VAR_DIR": str(directory / "var"),
        "SSCARD_DATABASE_URL": f"sqlite:///{directory / 'sscard.db'}",
        "SSCARD_PASSWORD_HASH_PROFILE": "CHEAPEST",
    }
    for name in ("SSCARD_SECRET_KEY", "SSCARD_ISSUER_KEY", "SSCARD_DEMO"):
        env.pop(name, None)
    return env | extra


@dataclass(frozen=True)
class Server:
    """A running `sscard serve`."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_healthy(self) -> None:
        """Return once `/healthz` answers 200; fail with the server's log if it exits."""
        deadline = time.monotonic() + 120  # a demo server loads its data first; CI machines are slow
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited:\n{self.log.read_text()}")
            try:
                if httpx2.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx2.TransportError:
                time.sleep(0.2)
        pytest.fail("the server did not become healthy in 120 s")


@contextmanager
def server(directory: Path, env: Mapping[str, str], *options: str, wait: bool = True) -> Iterator[Server]:
    """Run `sscard serve OPTIONS` on a free port in `directory` with `env` until the block
    ends (`wait=False` yields while it is still starting)."""
    port, log = free_port(), directory / "server.log"
    command = [sys.executable, "-m", "sscard.cli", "serve", "--port", str(port), *options]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=directory, env=dict(env), stdout=output, stderr=subprocess.STDOUT)
        running = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            if wait:
                running.wait_until_healthy()
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def demo_server(directory: Path, env: Mapping[str, str] | None = None, *, wait: bool = True) -> ContextManager[Server]:
    """`sscard serve --demo` in `directory` (by default with `demo_environment(directory)`)."""
    return server(directory, env if env is not None else demo_environment(directory), "--demo", wait=wait)
