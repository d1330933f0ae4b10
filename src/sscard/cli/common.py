"""What every command shares: settings, runtime, logging, the console."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from rich.console import Console

from sscard.context import RequestIdFilter
from sscard.runtime import Runtime, build_runtime
from sscard.settings import InsecureSecret, Settings

console = Console()
err_console = Console(stderr=True)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """Plain lines with the request ID, on standard error; for dictConfig, and for
    uvicorn, which applies it in every worker process too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {"uvicorn": {"handlers": [], "propagate": True}, "uvicorn.access": {"level": "WARNING"}},
    }


def configure_logging(level: str = "INFO") -> None:
    """Configure this process's logging (see logging_config)."""
    logging.config.dictConfig(logging_config(level))


def load_runtime(settings: Settings | None = None, *, serving: bool = False) -> Runtime:
    """The runtime, or a clean exit that says what to set; a server also needs the
    issuer's key (R-SET-6), which other commands never use."""
    try:
        rt = build_runtime(settings or Settings())
        if serving:
            rt.card_key("")  # derives from the issuer's key, or refuses to without one
    except InsecureSecret as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise SystemExit(2) from exc
    return rt
