"""How `sscard serve --workers N` spreads keep-alive connections over its workers (issue 14).

    .venv/bin/python -m bench.worker_split [--workers 2 3] [--runs 20] [--connections 16]

Not a throughput test, and not part of `make bench`: each run starts the server on a
throwaway PostgreSQL (bench.services, as the benchmarks start it) and, the moment
`/healthz` answers, does what a load generator such as wrk does: opens CONNECTIONS
keep-alive connections at once and sends one `GET /livez` on each. `ss` then tells which
worker process holds each connection. A second batch of fresh connections follows once
`ss` shows every worker listening: the spread the kernel's hash gives on its own.

Printed per run: the workers listening when the clients connected (from /proc/net/tcp),
the connections each worker holds, most first; then per worker count the largest share
of each batch, against how often a fair spread (each connection on a worker drawn at
random) gives one that large.
"""

from __future__ import annotations

import argparse
import http.client
import math
import re
import shutil
import subprocess
import time
from collections import Counter
from itertools import product
from pathlib import Path

from bench.services import postgres, server_env, sscard_server

SS = shutil.which("ss") or "/usr/bin/ss"
LISTEN = "0A"  # a listening socket's state in /proc/net/tcp
PATIENCE_SECONDS = 60.0


def listening_sockets(port: int) -> int:
    """How many sockets listen on the loopback port now (bound but not listening: not counted)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _, state = line.split()[1:4]
        count += int(local.split(":")[1], 16) == port and state == LISTEN
    return count


def holders(port: int) -> dict[int, int]:
    """Each established connection to the port: its client port, and the pid holding it."""
    lines = subprocess.run(
        [SS, "-Htnp", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in lines.splitlines():
        peer, pid = re.search(r":\d+\s+\S+:(\d+)\s", line), re.search(r"pid=(\d+)", line)
        if peer and pid:
            found[int(peer.group(1))] = int(pid.group(1))
    return found


def connect_at_once(port: int, count: int) -> list[int]:
    """Open `count` keep-alive connections, then one request on each; the connections per
    worker, most first. The connections are closed before it returns."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE_SECONDS) for _ in range(count)]
    try:
        for connection in connections:
            connection.connect()  # the kernel picks the worker's socket at the handshake
        for connection in connections:
            connection.request("GET", "/livez")
        for connection in connections:
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
        held = holders(port)
        ports = [connection.sock.getsockname()[1] for connection in connections if connection.sock is not None]
        return sorted(Counter(held[client] for client in ports).values(), reverse=True)
    finally:
        for connection in connections:
            connection.close()


def wait_all_listening(port: int, workers: int) -> None:
    """Until every worker listens on the port."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while listening_sockets(port) < workers:
        assert time.monotonic() < deadline, f"{workers} workers did not listen within {PATIENCE_SECONDS} s"
        time.sleep(0.05)


def chance_of_a_share_at_least(largest: int, connections: int, workers: int) -> float:
    """The probability that, each connection landing on a worker drawn at random, some
    worker holds at least `largest` of them (exact, by counting every split)."""
    splits = (split for split in product(range(connections + 1), repeat=workers) if sum(split) == connections)
    ways = sum(math.factorial(connections) // math.prod(map(math.factorial, s)) for s in splits if max(s) >= largest)
    return float(ways / workers**connections)


def summary(label: str, splits: list[list[int]], connections: int, workers: int) -> str:
    """One batch kind's spread over all runs."""
    largest = [split[0] for split in splits]
    worst = max(largest)
    lone = sum(len(split) < workers for split in splits)
    return (
        f"  {label}: largest share per run {sorted(largest, reverse=True)}; worst {worst}/{connections}"
        f" (as large or larger in a fair spread: p = {chance_of_a_share_at_least(worst, connections, workers):.2g});"
        f" runs where a worker got none: {lone}/{len(splits)}"
    )


def main() -> None:
    """Measure each worker count; print the runs and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with postgres() as cluster:
        url = cluster.create_database("worker_split")
        env = server_env(url)
        report = []
        for workers in args.workers:
            at_ready, all_listening = [], []
            for run in range(args.runs):
                with sscard_server(url, workers, env) as base:
                    port = int(base.rsplit(":", 1)[1])
                    listening = listening_sockets(port)
                    at_ready.append(connect_at_once(port, args.connections))
                    wait_all_listening(port, workers)
                    all_listening.append(connect_at_once(port, args.connections))
                print(
                    f"--workers {workers} run {run + 1:2}: {listening} listening at ready;"
                    f" at ready {at_ready[-1]}, all listening {all_listening[-1]}",
                    flush=True,
                )
            report.append(f"--workers {workers}, {args.connections} connections, {args.runs} runs")
            report.append(summary("at ready     ", at_ready, args.connections, workers))
            report.append(summary("all listening", all_listening, args.connections, workers))
        print("\n".join(report))


if __name__ == "__main__":
    main()
