"""/metrics of `sscard serve --workers 2` is the whole server's, whichever worker the
scrape reaches, and stays so when a worker is killed and replaced (sscard.serving.metrics)."""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx2
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from sscard.roles import Role
from sscard.runtime import build_runtime
from sscard.serving.metrics import SHARED_DIRECTORY
from tests import factories
from tests.api import token_for
from tests.conftest import fresh_database, make_settings
from tests.faults.serving import PATIENCE_SECONDS, SECRET, Served, serving
from tests.invalid_list.live import STREAM

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ss(8) tells which worker holds a connection")

WORKERS = 2
REQUESTS = 30  # on fresh connections: each lands on either worker, as a coin falls
SCRAPES = 20  # each reaches either worker: all on one, about once in 500,000 runs
Series = tuple[str, dict[str, str]]
LIVEZ: Series = ("sscard_http_requests_total", {"method": "GET", "route": "/livez", "status": "200"})
STREAMS: Series = ("sscard_invalid_list_stream_subscribers", {})


@pytest.fixture
def database(postgres_server: str) -> str:
    return fresh_database(postgres_server, f"sscard_metrics_{os.getpid()}")


def sample(text: str, wanted: Series) -> float:
    """The value of one series in a Prometheus text exposition (0 when absent)."""
    name, labels = wanted
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


def scraped(served: Served, series: Series) -> float:
    """The series' value in one scrape of /metrics."""
    return sample(httpx2.get(f"{served.base}/metrics").text, series)


def sscard_families(text: str) -> dict[str, str]:
    """Each sscard metric family an exposition declares, with its type; not the _created
    series of one process's counters and histograms."""
    declared = re.findall(r"^# TYPE (sscard_\S+) (\S+)$", text, re.MULTILINE)
    return {name: kind for name, kind in declared if not name.endswith("_created")}


def get_on_fresh_connections(served: Served, path: str, count: int) -> list[tuple[httpx2.Response, int]]:
    """GET `path` `count` times, each on a connection of its own; each answer with the pid
    of the worker that gave it (the connections stay open until ss has told)."""
    with ExitStack() as open_connections:
        answers = []
        for _ in range(count):
            client = open_connections.enter_context(httpx2.Client(base_url=served.base, timeout=30))
            response = client.get(path)
            assert response.status_code == 200, response.text
            answers.append((response, _client_port(response)))
        serving_pid = served.connections()
        return [(response, serving_pid[port]) for response, port in answers]


def _client_port(response: httpx2.Response) -> int:
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def metrics_directory(worker: int) -> Path:
    """Where a worker keeps its metrics (the master names it in the worker's environment)."""
    entries = Path(f"/proc/{worker}/environ").read_bytes().decode().split("\0")
    environment = dict(entry.split("=", 1) for entry in entries if "=" in entry)
    return Path(environment[SHARED_DIRECTORY])


def scrapes(served: Served) -> Iterator[tuple[str, int]]:
    """SCRAPES scrapes of /metrics on fresh connections: each text and its worker's pid."""
    for response, pid in get_on_fresh_connections(served, "/metrics", SCRAPES):
        yield response.text, pid


def test_every_worker_answers_the_whole_servers_counts_through_a_worker_killed(database: str, tmp_path: Path) -> None:
    with serving(database, tmp_path, WORKERS) as served:
        workers = served.listeners()
        served_by = [pid for _, pid in get_on_fresh_connections(served, "/livez", REQUESTS)]
        assert set(served_by) == workers, "both workers answered some"
        # A count is in the sums once its request has ended, a moment after its answer.
        served.wait_for(lambda: scraped(served, LIVEZ) == REQUESTS, "counted")
        seen = list(scrapes(served))
        assert {pid for _, pid in seen} == workers, "scrapes reached both workers"
        assert [sample(text, LIVEZ) for text, _ in seen] == [REQUESTS] * SCRAPES
        # The same metrics, by the same names, as one process declares (this one's).
        assert sscard_families(seen[0][0]) == sscard_families(generate_latest().decode())

        rt = build_runtime(make_settings(database_url=database, secret_key=SECRET, issuer_key=SECRET))
        bank = {"Authorization": f"Bearer {token_for(rt, factories.principal(Role.BANK))}"}
        rt.engine.dispose()
        with httpx2.Client(base_url=served.base, timeout=30) as client, client.stream("GET", STREAM, headers=bank) as s:
            assert s.status_code == 200
            streaming = served.connections()[_client_port(s)]
            served.wait_for(lambda: scraped(served, STREAMS) == 1, "the stream counted")
            assert [sample(text, STREAMS) for text, _ in scrapes(served)] == [1] * SCRAPES
            os.kill(streaming, signal.SIGKILL)  # the supervisor starts another worker
            served.wait_for(lambda: streaming not in served.listeners(), "the killed worker gone")
        served.wait_serving(WORKERS)

        after = list(scrapes(served))
        assert {pid for _, pid in after} == served.listeners(), "scrapes reached both workers"
        # The dead worker's requests stay counted; its stream is no longer open anywhere.
        assert [sample(text, LIVEZ) for text, _ in after] == [REQUESTS] * SCRAPES
        assert [sample(text, STREAMS) for text, _ in after] == [0] * SCRAPES
        more = get_on_fresh_connections(served, "/livez", REQUESTS)
        assert {pid for _, pid in more} == served.listeners(), "the new worker answered some"
        total = 2 * REQUESTS
        served.wait_for(lambda: scraped(served, LIVEZ) == total, "counted")
        assert [sample(text, LIVEZ) for text, _ in scrapes(served)] == [total] * SCRAPES

        shared = metrics_directory(next(iter(served.listeners())))
        assert shared.is_dir()
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(PATIENCE_SECONDS) == 0
        assert not shared.exists(), "the master removes the workers' metrics when it stops"
