"""The HTTP/1.1 protocol `sscard serve` runs: uvicorn's httptools protocol, with a bound
on the request head and every refusal of it as problem+json (issue 11).

uvicorn's httptools protocol puts no bound on the headers (two megabytes of them are
read and handed on), fails a request target past 64 KiB inside the URL parser, and
answers any parser error with a plain-text 400. Here the request target is refused
with 414 `uri_too_long` as soon as it passes MAX_TARGET_BYTES and the headers with 431
`request_headers_too_large` past MAX_HEADER_BYTES or MAX_HEADERS, both while they
arrive, and a malformed request is 400 `bad_request`: each the problem+json the
application sends, with a request ID, and the connection closed.

(uvicorn's h11 protocol is not used: its one bound, `h11_max_incomplete_event_size`,
covers the request line and the headers together, so it cannot tell 414 from 431, and
it is several times slower than httptools on the request path.)
"""

from __future__ import annotations

import json
import logging
import uuid

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sscard import problem_texts
from sscard.errors import problem_body

log = logging.getLogger("sscard.http")

# The application refuses a path past 4,096 characters itself (http.MAX_PATH_LENGTH,
# with its query the target is longer): this bound is for what it never sees.
MAX_TARGET_BYTES = 16 * 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100

_REASONS = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class HeadRefused(Exception):
    """The request head is refused before it reaches the application."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail


BAD_REQUEST = HeadRefused(400, "bad_request", "Bad request", "the request is not valid HTTP/1.1")


def refusal_bytes(refusal: HeadRefused, accept_language: str | None = None) -> bytes:
    """The whole HTTP response to a refused head: problem+json, connection closed."""
    request_id = uuid.uuid4().hex
    detail = problem_texts.detail(refusal.code, refusal.detail, accept_language)
    body = problem_body(refusal.status, refusal.code, refusal.title, detail) | {"request_id": request_id}
    content = json.dumps(body, ensure_ascii=False).encode()
    head = [
        b"HTTP/1.1 %d %s" % (refusal.status, _REASONS[refusal.status]),
        b"content-type: application/problem+json",
        b"content-length: %d" % len(content),
        b"x-content-type-options: nosniff",
        b"cache-control: no-store",
        b"x-request-id: " + request_id.encode(),
        b"connection: close",
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + content


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head (see the module)."""

    _refused: HeadRefused | None = None
    _header_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._refused, self._header_bytes = None, 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_TARGET_BYTES:
            self._refuse(414, "uri_too_long", "URI too long", f"a request target has at most {MAX_TARGET_BYTES} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES or len(self.headers) >= MAX_HEADERS:
            detail = f"the headers have at most {MAX_HEADER_BYTES} bytes and {MAX_HEADERS} fields"
            self._refuse(431, "request_headers_too_large", "Request headers too large", detail)
        super().on_header(name, value)

    def _refuse(self, status: int, code: str, title: str, detail: str) -> None:
        # httptools wraps what a callback raises in its own parser error, on which
        # uvicorn calls send_400_response: the refusal is kept here for it.
        self._refused = HeadRefused(status, code, title, detail)
        raise self._refused

    def send_400_response(self, msg: str) -> None:
        refusal = self._refused or BAD_REQUEST
        language = next((value for name, value in self.headers or [] if name == b"accept-language"), None)
        log.warning("request head refused: %s %s (%s)", refusal.status, refusal.code, msg)
        self.transport.write(refusal_bytes(refusal, language.decode("latin-1") if language else None))
        self.transport.close()
