"""/metrics as the whole server's, whichever worker the scrape reaches.

Under `sscard serve --workers N` every worker counts in a process of its own. The master
makes a fresh private directory for the run and names it in PROMETHEUS_MULTIPROC_DIR
before any worker starts, so each worker's prometheus_client (which reads the variable
when it is first imported) keeps its figures in files there; a scrape of any worker adds
up every file. Counters and histograms sum over every worker the run has had, those that
died included, so a count never goes back; each gauge says by its `multiprocess_mode`
how the workers' values combine, and a dead worker's live gauges are forgotten. One
process (`sscard serve` alone, the tests) keeps prometheus_client's ordinary registry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import PLATFORM_COLLECTOR, REGISTRY, Metric, generate_latest, multiprocess

SHARED_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
OURS = "sscard_"  # every metric sscard declares is named so


@contextmanager
def shared_metrics() -> Iterator[Path]:
    """A fresh directory that every worker started within the block writes its metrics
    to; removed with what is in it when the block ends."""
    directory = Path(tempfile.mkdtemp(prefix="sscard-metrics-"))  # mode 0700
    os.environ[SHARED_DIRECTORY] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop(SHARED_DIRECTORY, None)
        shutil.rmtree(directory, ignore_errors=True)


def forget_worker(pid: int) -> None:
    """A worker of the block has died: drop its live gauges (its open streams, its list
    version); its counts stay in the sums."""
    multiprocess.mark_process_dead(pid, os.environ[SHARED_DIRECTORY])  # type: ignore[no-untyped-call]


def exposition() -> bytes:
    """The Prometheus text /metrics answers: the sum over the server's workers when they
    share their metrics, else this process's own."""
    directory = os.environ.get(SHARED_DIRECTORY)
    return generate_latest(WholeServer(directory) if directory else REGISTRY)


class WholeServer:
    """sscard's metrics summed over the workers' files, each declared as in one process
    (HELP and TYPE, even before any worker has a sample of it), and python_info.

    Left out, as prometheus_client's multiprocess mode leaves them out: the figures of
    one process (its CPU time, memory, file descriptors, garbage collections:
    process_*, python_gc_*), which would jump with whichever worker answered, and the
    _created series, which no sum has."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        """python_info, then every sscard_ metric this process declares, with the sums."""
        # prometheus_client's multiprocess module has no type annotations.
        files = multiprocess.MultiProcessCollector(None, self.directory)  # type: ignore[no-untyped-call]
        summed = {family.name: family for family in files.collect()}  # type: ignore[no-untyped-call]
        yield from PLATFORM_COLLECTOR.collect()
        for declared in REGISTRY.collect():
            if declared.name.startswith(OURS):
                yield summed.pop(declared.name, None) or Metric(declared.name, declared.documentation, declared.type)
        yield from summed.values()  # none: every worker runs the same code
