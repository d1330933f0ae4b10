"""`sscard serve`: the API and pages."""

from __future__ import annotations

import errno
import os
import socket
from typing import Annotated

import typer
import uvicorn

from sscard import demo as demo_data
from sscard.app import prepare_database
from sscard.cli.common import configure_logging, console, err_console, load_runtime, logging_config
from sscard.cli.demo import print_logins
from sscard.notifications.sms import FileSender
from sscard.settings import Settings

WORKER_HEALTHCHECK_SECONDS = 30


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="load demo data; allows running without a secret")] = False,  # noqa: FBT002
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING")] = "INFO",
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes (PostgreSQL)")] = 1,
) -> None:
    """Serve the API (and /docs) on HOST:PORT."""
    if demo and workers > 1:
        # A demo's clock and its in-process list stream belong to one process.
        err_console.print("[red]error:[/] a demo runs in one process; drop --workers or --demo")
        raise typer.Exit(2)
    busy = port_busy(host, port)
    if busy:  # said before anything claims to serve, and before the database is touched
        err_console.print(
            f"error: cannot serve on {host}:{port}: {busy}; choose another with --port (make run PORT=…)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if demo:
        os.environ["SSCARD_DEMO"] = "true"  # the app factory reads its settings from here
    rt = load_runtime(Settings(), serving=True)
    if workers > 1 and rt.engine.dialect.name != "postgresql":
        # On SQLite a process hears only of its own commits at once (the list stream, the
        # inquiries' copy of the list): another process's loss report could wait seconds.
        err_console.print("[red]error:[/] several server processes need PostgreSQL (SSCARD_DATABASE_URL)")
        raise typer.Exit(2)
    configure_logging(log_level.upper())
    prepare_database(rt)
    base = f"http://{host}:{port}"
    if demo:
        demo_data.load(rt)
        print_logins(base)
    if isinstance(rt.sms, FileSender):
        console.print(f"messages to holders (SMS, R-NOTE-1) are written to {rt.sms.path.resolve()}")
    rt.engine.dispose()
    console.print(f"sscard on [bold]{base}[/] — sign in at [bold]{base}/docs[/] (Authorize), API under {base}/v1")
    uvicorn.run(
        "sscard.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logging_config(log_level.upper()),
        access_log=False,
        proxy_headers=False,
        # httptools with a bounded request head, refused as problem+json (414, 431, 400).
        http="sscard.http_protocol:BoundedHttpToolsProtocol",
        # The supervisor kills a worker that does not answer its ping in time (default
        # 5 s): a margin for one busy fanning a change out to thousands of streams, whose
        # clients would all reconnect at once if it were killed.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def port_busy(host: str, port: int) -> str | None:
    """Why HOST:PORT cannot be listened on (another server holds it, say), or None.

    Checked before anything claims to serve; SO_REUSEADDR as uvicorn sets it, so a
    port left in TIME_WAIT by a server just stopped is not taken for a busy one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen(1)
        except OSError as exc:
            return "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
    return None
