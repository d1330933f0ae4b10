"""`sscard serve --workers N`: a master that keeps N server processes serving.

Each worker binds its own socket to the port (SO_REUSEPORT), so the kernel spreads
connections over them; the master holds no socket and serves nothing. The first workers
all listen before any of them serves (`worker.listen_together`), so that the first
clients spread over all of them too. A worker that dies is replaced; a worker dies with
its master (`worker.die_with`); SIGTERM or SIGINT tells every worker to drain (see
`worker`), waits out their grace period and kills what is still there. The workers'
metrics add up to the whole server's (`metrics`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import wait
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Barrier
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from sscard.serving.metrics import forget_worker, shared_metrics
from sscard.serving.worker import DrainingServer, die_with, listen_together, listening_socket

log = logging.getLogger("sscard.serving")

# Past the grace period: for the application's own shutdown (the outbox's drainer, the
# broker) after the last request.
STOP_MARGIN_SECONDS = 5.0
# A replacement that cannot start while others serve (the database is down, say) is
# tried again after this pause rather than in a tight loop.
RESTART_PAUSE_SECONDS = 1.0
# How long the first workers wait for each other to listen before they serve anyway.
LISTEN_TOGETHER_SECONDS = 30.0
_spawn = multiprocessing.get_context("spawn")


def run_worker(config: uvicorn.Config, master_pid: int, together: Barrier | None) -> None:
    """A worker process's life: bound to its master, its own socket, a draining server.
    One of the first workers listens `together` with the others; a replacement listens
    once it can serve (uvicorn's own listen), taking no connection it could not answer."""
    die_with(master_pid)
    config.configure_logging()
    sock = listening_socket(config.host, config.port)
    if together is not None:
        listen_together(sock, config.backlog, together, LISTEN_TOGETHER_SECONDS)
    DrainingServer(config).run(sockets=[sock])


class Supervisor:
    """Keeps `count` workers serving until told to stop."""

    def __init__(self, config: uvicorn.Config, count: int) -> None:
        self.config = config
        self.count = count
        self.workers: list[SpawnProcess] = []
        self._stopping = False
        self._wake_read, self._wake_write = socket.socketpair()
        self._together = _spawn.Barrier(count)  # the first workers' (`listen_together`)

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; the exit code."""
        with shared_metrics():  # before the first worker imports prometheus_client
            return self._serve()

    def _serve(self) -> int:
        self._wake_write.settimeout(0)  # a signal's byte never blocks the handler
        signal.set_wakeup_fd(self._wake_write.fileno())
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_stop)
        self.workers = [self._start(self._together) for _ in range(self.count)]
        code = 0
        while not self._stopping:
            wait([self._wake_read, *(worker.sentinel for worker in self.workers)])
            if not self._stopping and not self._replace_the_dead():
                code = STARTUP_FAILURE
                break
        self._stop_all()
        return code

    def _on_stop(self, sig: int, _frame: FrameType | None) -> None:
        log.info("%s: draining the workers", signal.Signals(sig).name)
        self._stopping = True

    def _start(self, together: Barrier | None = None) -> SpawnProcess:
        worker = _spawn.Process(target=run_worker, args=(self.config, os.getpid(), together), name="sscard-worker")
        worker.start()
        log.info("started worker [%s]", worker.pid)
        return worker

    def _replace_the_dead(self) -> bool:
        """Start a worker for each one that ended; False when none serves and the last
        ones could not even start (a broken application, or no database)."""
        dead = [index for index, worker in enumerate(self.workers) if not worker.is_alive()]
        failed = [self.workers[index].exitcode == STARTUP_FAILURE for index in dead]
        if dead and all(failed) and len(dead) == len(self.workers):
            log.error("no worker could start; stopping")
            return False
        if any(failed):
            time.sleep(RESTART_PAUSE_SECONDS)
        for index in dead:
            worker = self.workers[index]
            log.warning("worker [%s] ended (exit code %s); starting another", worker.pid, worker.exitcode)
            if worker.pid is not None:
                forget_worker(worker.pid)
            self._together.abort()  # the first ones wait no longer for one that may not have listened
            self.workers[index] = self._start()
        return True

    def _stop_all(self) -> None:
        for worker in self.workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0) + STOP_MARGIN_SECONDS
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        for worker in self.workers:
            if worker.is_alive():
                log.error("worker [%s] outlived the grace period; killed", worker.pid)
                worker.kill()
                worker.join()
