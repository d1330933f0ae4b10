"""One server process: uvicorn's server with a drain that answers what it took in and
refuses, never resets, what comes after; a socket of its own; death with its master.

Stopping (SIGTERM) goes in this order, bounded by the grace period
(`SSCARD_SHUTDOWN_GRACE_SECONDS`, uvicorn's `timeout_graceful_shutdown`):

1. The listening socket drops every new connection's first packet (its SYN). A client
   already half-way through the handshake completes it and is served; a new one sends its
   SYN again a second later, finds the socket closed and is *refused*: it knows nothing
   was sent. (Closing at once would reset connections queued for accept, after the
   client may have sent its request: ambiguous.) If a new server has started by then,
   the repeated SYN simply reaches it.
2. After `KNOCK_SECONDS` the socket closes. Every response from now on says
   `Connection: close`, so a busy keep-alive connection ends after its answer.
3. A connection idle for all of `LINGER_SECONDS` is closed (the same race as uvicorn's
   keep-alive timeout every day); the invalid list's streams have already ended (the
   broker hears the signal), and terminals resume from their Last-Event-ID.
4. uvicorn waits for the requests still running until the grace runs out, cancels what
   is left, and runs the application's shutdown.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import struct
import sys
import threading
import time
from asyncio.trsock import TransportSocket

import uvicorn
from uvicorn.server import ServerState

from sscard.http_protocol import BoundedHttpToolsProtocol

log = logging.getLogger("sscard.serving")

KNOCK_SECONDS = 0.25
LINGER_SECONDS = 1.0
ORPHAN_CHECK_SECONDS = 0.5

_SO_ATTACH_FILTER = 26  # <asm-generic/socket.h>
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# A classic BPF socket filter: load the TCP flags byte; drop a packet whose SYN is set
# and ACK is not (a new connection's first packet); keep everything else.
_DROP_NEW_CONNECTIONS = (
    (0x30, 0, 0, 13),  # ldb [13]
    (0x54, 0, 0, 0x12),  # and #(SYN|ACK)
    (0x15, 0, 1, 0x02),  # jeq #SYN, drop, keep
    (0x06, 0, 0, 0),  # drop: ret #0
    (0x06, 0, 0, 0xFFFFFFFF),  # keep: ret #-1
)


def refuse_new_connections(sock: socket.socket | TransportSocket) -> None:
    """From now on, drop the SYN of every new connection to this listening socket (Linux;
    elsewhere nothing changes and closing the socket refuses them)."""
    if sys.platform != "linux":
        return
    program = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in _DROP_NEW_CONNECTIONS))
    fprog = struct.pack("HP", len(_DROP_NEW_CONNECTIONS), ctypes.addressof(program))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)  # the kernel copies the program


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to HOST:PORT that other workers of this server bind too
    (SO_REUSEPORT): the kernel spreads new connections evenly over them, where one shared
    socket lets whichever worker wakes first take a whole burst."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def listen_together(sock: socket.socket, backlog: int, together: threading.Barrier, patience: float) -> None:
    """Listen, and go on only once every worker started with this one listens too (or
    after `patience` seconds, or when the master gives up waiting for one that died).

    The kernel hashes a new connection over the sockets *listening* at that moment: a
    worker that served before the others listen would answer `/healthz`, and a load
    generator or a fleet of terminals connecting right then would all land on the few
    workers that were quickest, for as long as their keep-alive connections last."""
    sock.listen(backlog)
    try:
        together.wait(patience)
    except threading.BrokenBarrierError:
        log.warning("serving before every worker listens: connections may not spread evenly until they reconnect")


def die_with(master_pid: int) -> None:
    """End this process when its master dies, however it dies (SIGKILL included), so no
    orphan keeps serving on the port: the kernel's parent-death signal on Linux, and a
    watchdog for other systems and for a master that died before the signal was asked for."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    threading.Thread(target=_watch_master, args=(master_pid,), name="orphan-watchdog", daemon=True).start()


def _watch_master(master_pid: int) -> None:
    while os.getppid() == master_pid:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGKILL)


class DrainingState(ServerState):
    """uvicorn's shared state, and whether the server is draining."""

    def __init__(self) -> None:
        super().__init__()
        self.draining = False


class DrainingProtocol(BoundedHttpToolsProtocol):
    """The HTTP/1.1 protocol with a bounded request head (sscard.http_protocol), whose
    responses close the connection once the server drains."""

    def on_headers_complete(self) -> None:
        """Start the request; while draining, its response will say Connection: close."""
        super().on_headers_complete()
        if getattr(self.server_state, "draining", False):
            self.cycle.keep_alive = False

    def drain(self) -> None:
        """Close the connection after the response now being made, if there is one."""
        if not self.idle:
            self.cycle.keep_alive = False

    @property
    def idle(self) -> bool:
        """Whether no request is being answered."""
        return self.cycle is None or self.cycle.response_complete


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the drain described above."""

    def __init__(self, config: uvicorn.Config) -> None:
        config.http = DrainingProtocol
        super().__init__(config)
        self.drain_state = self.server_state = DrainingState()
        self.grace = config.timeout_graceful_shutdown or 1

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop taking connections, answer what was taken, then uvicorn's own shutdown."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        listeners = [sock for server in self.servers for sock in server.sockets]
        for sock in listeners:
            refuse_new_connections(sock)
        self.drain_state.draining = True
        connections = self.server_state.connections
        for connection in list(connections):
            if isinstance(connection, DrainingProtocol):
                connection.drain()
        await asyncio.sleep(KNOCK_SECONDS)
        for server in self.servers:
            server.close()
        linger_until = started + min(self.grace, KNOCK_SECONDS + LINGER_SECONDS)
        while connections and loop.time() < linger_until:
            await asyncio.sleep(0.05)
        self.config.timeout_graceful_shutdown = max(1, int(self.grace - (loop.time() - started)))
        await super().shutdown(sockets)
