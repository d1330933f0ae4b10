"""The pieces of a worker process: a listening socket that stops taking connections
without resetting any, and a life bound to its master's (sscard.serving.worker)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sscard.serving.worker import listen_together, listening_socket, refuse_new_connections
from tests.faults.serving import PATIENCE_SECONDS, alive

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the socket filter and the parent-death signal are Linux's"
)


def test_a_refusing_socket_serves_its_connections_and_refuses_new_ones_once_closed() -> None:
    listener = listening_socket("127.0.0.1", 0)
    listener.listen(16)
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)) as taken:
        accepted, _ = listener.accept()
        refuse_new_connections(listener)
        taken.sendall(b"still served")
        assert accepted.recv(64) == b"still served"
        accepted.close()
        # The new connection's SYN is dropped; its retry finds the socket closed.
        threading.Timer(0.3, listener.close).start()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_SECONDS).close()


def test_two_workers_bind_the_same_port_and_a_stranger_cannot() -> None:
    first = listening_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port)
    with first, second, socket.socket() as stranger:
        first.listen(1)
        second.listen(1)
        with pytest.raises(OSError, match="in use"):
            stranger.bind(("127.0.0.1", port))


def listening_sockets(port: int) -> int:
    """How many sockets listen on the loopback port (from /proc/net/tcp; state 0A)."""
    rows = (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
    return sum(1 for row in rows if int(row[1].split(":")[1], 16) == port and row[3] == "0A")


def test_a_worker_started_with_others_goes_on_only_once_they_all_listen() -> None:
    first = listening_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port)
    together = threading.Barrier(2)
    seen: list[int] = []

    def first_worker() -> None:
        listen_together(first, 16, together, PATIENCE_SECONDS)
        seen.append(listening_sockets(port))  # where it would start serving

    with first, second:
        worker = threading.Thread(target=first_worker)
        worker.start()
        listen_together(second, 16, together, PATIENCE_SECONDS)
        worker.join(PATIENCE_SECONDS)
        assert seen == [2], "the first worker went on before the second one listened"


def test_a_worker_whose_others_never_come_goes_on_alone() -> None:
    with listening_socket("127.0.0.1", 0) as alone:
        together = threading.Barrier(2)
        together.abort()  # what the master does when a worker dies before listening
        listen_together(alone, 16, together, PATIENCE_SECONDS)
        assert listening_sockets(alone.getsockname()[1]) == 1


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from sscard.serving.worker import die_with
    die_with(os.getppid())
    print(os.getpid(), flush=True)
    time.sleep(600)
    """
)
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=sys.stdout)
    time.sleep(600)
    """
)


def test_a_worker_dies_with_its_master_even_by_sigkill(tmp_path: Path) -> None:
    out = tmp_path / "child.pid"
    with out.open("w") as output:
        master = subprocess.Popen([sys.executable, "-c", PARENT, CHILD], stdout=output)
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while not out.read_text().strip():
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)
        worker = int(out.read_text())
        assert alive(worker)
        os.kill(master.pid, signal.SIGKILL)
        master.wait(PATIENCE_SECONDS)
        while alive(worker):
            assert time.monotonic() < deadline + PATIENCE_SECONDS, "the worker outlived its master"
            time.sleep(0.05)
    finally:
        master.kill()
        master.wait()
