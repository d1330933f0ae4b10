"""Per-request values that logging needs without being passed around."""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("sscard_request_id", default=None)
# The request's Accept-Language, for the language of a problem's `detail`.
language_var: ContextVar[str | None] = ContextVar("sscard_language", default=None)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record (or "-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True
