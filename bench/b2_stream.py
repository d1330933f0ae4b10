"""Loss report → every subscribed terminal has the change, over the invalid list's SSE stream."""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Any

from bench.figures import Figure
from bench.services import postgres, sscard_server
from bench.sse_drive import load_process, timed_reports
from bench.sse_setup import Terminal, cards, create_terminals, list_version, report_lost, sign_in_all, signed_in

NAME = "B2"
WORKERS = 2
TERMINALS = 300  # real terminals; the streams share their tokens round robin
REPORTS = 20
TARGET_MS = {1_000: 100.0, 10_000: 1_000.0}
SPACING_SECONDS = {1_000: 0.5, 10_000: 2.0}
WAIT_SECONDS = 30.0


def run(full: bool) -> list[Figure]:
    """One server; each size in turn with fresh cards, tokens and streams."""
    raise_open_files()  # `sscard serve` inherits it: a socket a stream in its workers too
    sizes = [1_000, 10_000] if full else [1_000]
    figures: list[Figure] = []
    with postgres() as pg, sscard_server(pg.create_database("bench_b2"), WORKERS) as base:
        terminals = create_terminals(signed_in(base, create_clerk=True), TERMINALS)
        for serial, size in enumerate(sizes):
            figures += measure(base, terminals, size, serial * 1_000)
    return figures


def raise_open_files() -> None:
    """As many open files as the hard limit allows."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def measure(base: str, terminals: list[Terminal], size: int, serial: int) -> list[Figure]:
    """Open `size` streams, report cards lost while they listen, and judge the arrivals."""
    api = signed_in(base, create_clerk=False)
    reported = cards(api, serial, REPORTS + 1)
    tokens = sign_in_all(base, terminals)
    report_lost(api, reported[0])  # every stream's first event, from the backlog: subscribed by then
    since = list_version(base, tokens[0]) - 1
    with load_process(str(size)) as load:
        load.send(load_options(base, tokens, size, reported[0], since))
        ready = load.expect("READY")
        ready["load_average"] = os.getloadavg()[0]
        cpu_before = server_cpu_seconds(base)
        reports = timed_reports(api, reported[1:], SPACING_SECONDS[size])
        ready["server_cpu_seconds"] = server_cpu_seconds(base) - cpu_before
        load.send({"reports": reports.instants, "wait_seconds": WAIT_SECONDS})
        outcome = load.expect("RESULT")
    outcome["failed_reports"] = list(reports.failed.values())
    return figures(size, ready, outcome)


def server_cpu_seconds(base: str) -> float:
    """CPU time so far of `sscard serve` on the base URL's port and its workers: what
    the reports cost the server, beside what the load process spent receiving them."""
    serve = f"serve\0--port\0{base.rsplit(':', 1)[1]}\0".encode()
    stats = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stats[proc.name] = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if serve in (proc / "cmdline").read_bytes():
                stats["serve"] = [proc.name]
        except OSError:
            continue  # ended meanwhile
    parent = stats.get("serve", [""])[0]
    ours = [f for pid, f in stats.items() if pid == parent or (pid != "serve" and f[1] == parent)]
    return sum(int(f[11]) + int(f[12]) for f in ours) / os.sysconf("SC_CLK_TCK")


def load_options(base: str, tokens: list[str], size: int, ready_card: str, since: int) -> dict[str, Any]:
    """What the load process opens: `size` streams resuming after `since`, so that the
    ready card's change is each one's first event."""
    host, port = base.removeprefix("http://").split(":")
    return {
        "host": host,
        "port": int(port),
        "path": f"/v1/invalid-list/stream?since={since}",
        "tokens": tokens,
        "connections": size,
        "ready_card": ready_card,
        "events": REPORTS + 1,
    }


def figures(size: int, ready: dict[str, Any], outcome: dict[str, Any]) -> list[Figure]:
    """The p99 against its target, p50 and max as context, the streams that missed an event."""
    held, sent, answered = outcome["streams"], outcome["from_sent"], outcome["from_answered"]
    label = f"{size:,} terminals"
    note = (
        f"{WORKERS} workers; {held:,} streams on {TERMINALS} terminals' tokens (round robin), connected in "
        f"{ready['seconds']:.0f} s; {REPORTS} loss reports {SPACING_SECONDS[size]} s apart; latency = arrival "
        f"at the load process − instant before the report's POST, per event per stream (from its response: "
        f"p50 {answered['p50_ms']:.1f} ms, p99 {answered['p99_ms']:.1f} ms); every stream had a report's change "
        f"after {outcome['all_streams']['p50_ms']:.0f} ms for the median report; CPU during the reports: "
        f"server {ready['server_cpu_seconds']:.1f} s, load process "
        f"{outcome['load_cpu_seconds'] - ready['load_cpu_seconds']:.1f} s "
        f"(in all {outcome['load_cpu_seconds']:.0f} s); "
        f"streams closed early {outcome['closed']}; connect errors "
        f"{ready['failed']} {ready['errors'][:2]}; machine load average {ready['load_average']:.1f} on "
        f"{os.cpu_count()} cores when the reports began; failed reports {outcome['failed_reports'][:2]}"
    )
    return [
        Figure(NAME, f"{label}: streams not held", size - held, "streams", target=0, note=note),
        Figure(NAME, f"{label}: p99", sent["p99_ms"], "ms", target=TARGET_MS[size], note=note),
        Figure(NAME, f"{label}: p50", sent["p50_ms"], "ms"),
        Figure(NAME, f"{label}: max", sent["max_ms"], "ms"),
        Figure(NAME, f"{label}: streams that missed an event", outcome["missing_streams"], "streams", target=0),
        Figure(NAME, f"{label}: loss reports without a response", len(outcome["failed_reports"]), "reports", target=0),
    ]
