"""B2's side of the SSE load process: start it, wait for READY, hand it the reports."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx2

from bench.setup import Api
from bench.sse_setup import report_lost

ROOT = Path(__file__).resolve().parent.parent


class LoadProcess:
    """`python -m bench.sse_load`, spoken to one JSON line at a time."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process, self.log = process, log

    def send(self, payload: dict[str, Any]) -> None:
        """One line to the load process."""
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(payload) + "\n")
        stdin.flush()

    def expect(self, word: str) -> dict[str, Any]:
        """The payload of the load process's next line, which must start with `word`."""
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line.startswith(word + " "):
            raise RuntimeError(f"sse_load said {line!r}, not {word}:\n{self.log.read_text()[-3000:]}")
        return dict(json.loads(line[len(word) + 1 :]))


@contextmanager
def load_process(name: str) -> Iterator[LoadProcess]:
    """The load process until the block ends (killed if it is still running)."""
    log = ROOT / "bench" / "results" / f"sse-load-{name}.log"
    log.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "bench.sse_load"]
    with log.open("w") as errors:
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            yield LoadProcess(process, log)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=60)


@dataclass
class Reports:
    """The loss reports made while the streams listened."""

    # card → [the instant just before the request was sent, the instant its response
    # arrived], both time.time_ns()
    instants: dict[str, list[int]] = field(default_factory=dict)
    # card → why its report got no response (e.g. the server process was killed)
    failed: dict[str, str] = field(default_factory=dict)


def timed_reports(api: Api, cards: list[str], spacing: float) -> Reports:
    """Report each card lost, one every `spacing` seconds."""
    reports = Reports()
    start = time.monotonic()
    for i, card_no in enumerate(cards):
        time.sleep(max(0.0, start + i * spacing - time.monotonic()))
        sent = time.time_ns()
        try:
            report_lost(api, card_no)
        except httpx2.HTTPError as exc:
            reports.failed[card_no] = f"{type(exc).__name__}: {exc}"
            continue
        reports.instants[card_no] = [sent, time.time_ns()]
    return reports
