"""What every command shares: settings, runtime, logging, the console."""

from __future__ import annotations

import logging

from rich.console import Console

from sscard.context import RequestIdFilter
from sscard.runtime import Runtime, build_runtime
from sscard.settings import InsecureSecret, Settings

console = Console()
err_console = Console(stderr=True)


def configure_logging(level: str = "INFO") -> None:
    """Plain lines with the request ID, on standard error."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def load_runtime(settings: Settings | None = None) -> Runtime:
    """The runtime, or a clean exit that says what to set."""
    try:
        return build_runtime(settings or Settings())
    except InsecureSecret as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise SystemExit(2) from exc
