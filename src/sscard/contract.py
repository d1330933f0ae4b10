"""The contract for every input (issue 11): what each route declares and what reaches it.

Two things, neither naming a route, so a route added later is covered without a
line of its own:

- `openapi_document` declares every error status each operation can answer with the
  problem+json schema that is really sent, and bounds every integer;
- `InputGuard` checks a request before any route reads it: the body's size and media
  type, well-formed JSON, no control characters in text, no integer past 64 bits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sscard.errors import Invalid, ServiceError

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
# C0 and C1 controls but tab, line feed and carriage return, and lone surrogates, which
# no database stores as text.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INTEGER = re.compile(r"\A\s*[+-]?\d+\s*\Z")
# Where an integer could pass 64 bits (19 digits or more), or a value is percent-encoded:
# a path or query without either needs no closer look.
_LONG_NUMBER = re.compile(r"\d{19}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{19}")


class PayloadTooLarge(ServiceError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(ServiceError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class UriTooLong(ServiceError):
    status, code, title = 414, "uri_too_long", "URI too long"


# ---- the pure checks ---------------------------------------------------------------


def media_type(content_type: str | None) -> str | None:
    """The media type of a Content-Type header without its parameters, in lower case."""
    if not content_type:
        return None
    return content_type.partition(";")[0].strip().lower() or None


def bounded_int(text: str) -> int:
    """A JSON integer, refused past 64 bits (json.loads' parse_int)."""
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise Invalid("invalid_request", "body: an integer must fit in 64 bits", field="body")
    return value


def malformed(message: str) -> Invalid:
    """422 invalid_request for a body that is not JSON, as a validation error lists it."""
    return Invalid("invalid_request", f"body: {message}", errors=[{"field": "body", "message": message}])


def refuse_constant(name: str) -> float:
    """NaN and Infinity are not JSON (json.loads' parse_constant)."""
    raise malformed(f"{name} is not a JSON value")


def parse_json(body: bytes) -> Any:
    """The JSON document; 422 invalid_request when it is malformed or an integer is too large."""
    try:
        return json.loads(body, parse_int=bounded_int, parse_constant=refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise malformed("not well-formed JSON in UTF-8") from exc


def control_characters(document: Any, where: str = "body") -> str | None:
    """The path of the first text holding a control character, or None."""
    for path, text in _texts(document, where):
        if CONTROL.search(text):
            return path
    return None


def _texts(document: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(document, str):
        yield where, document
    elif isinstance(document, dict):
        for key, value in document.items():
            yield f"{where}.{key}", key
            yield from _texts(value, f"{where}.{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _texts(value, f"{where}.{index}")


def check_text(field: str, value: str) -> None:
    """422 invalid_request for a control character in a path, query or form value."""
    if CONTROL.search(value):
        raise Invalid("invalid_request", f"{field}: control characters are not allowed", field=field)


def check_integer(field: str, value: str) -> None:
    """422 invalid_request for an integer parameter past 64 bits."""
    if _INTEGER.match(value) and not INT64_MIN <= int(value) <= INT64_MAX:
        raise Invalid("invalid_request", f"{field}: an integer must fit in 64 bits", field=field)


# ---- the guard in front of every route --------------------------------------------

# What a body may be: JSON for the API, a form for sign-in, multipart for scans.
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_READ_HERE = frozenset({JSON, FORM})


class InputGuard:
    """ASGI middleware: every request's input is checked before a route reads it.

    It knows no route, so a route added anywhere is guarded: path and query values
    carry no control character and no integer past 64 bits; a body is JSON, a form or
    multipart (415 otherwise); a JSON or form body is read up to `max_body` bytes
    (413 past it, refused on its Content-Length before reading) and checked whole.
    Multipart bodies (scans) are left to their route's own limit.
    """

    def __init__(self, app: ASGIApp, max_body: int, answer: Callable[[ServiceError], ASGIApp]) -> None:
        self.app, self.max_body, self.answer = app, max_body, answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_path(scope["path"])
            check_query(scope.get("query_string", b""))
            receive = await self._checked_body(scope, receive)
        except ServiceError as refusal:
            await self.answer(refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _checked_body(self, scope: Scope, receive: Receive) -> Receive:
        headers = dict(scope["headers"])
        if not _has_body(headers):
            return receive
        media = media_type(headers.get(b"content-type", b"").decode("latin-1"))
        if media not in _READ_HERE:
            if media != MULTIPART:
                raise UnsupportedMediaType("a body is application/json (a form to sign in, multipart for scans)")
            return receive
        body = await read_body(headers.get(b"content-length"), receive, self.max_body)
        check_body(media, body)
        return _replay(body, receive)


def _has_body(headers: Mapping[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    return b"transfer-encoding" in headers or (length is not None and length.strip() not in {b"", b"0"})


def check_query(query_string: bytes) -> None:
    """Query values: no control characters, an integer within 64 bits."""
    if not query_string or (b"%" not in query_string and not _LONG_NUMBER_BYTES.search(query_string)):
        return  # the HTTP parser lets no raw control character through
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        check_text(name, value)
        check_integer(name, value)


def check_path(path: str) -> None:
    """Each segment of the (decoded) path: the same rules as a query value."""
    check_text("path", path)
    if _LONG_NUMBER.search(path):
        for segment in path.split("/"):
            check_integer("path", segment)


def check_body(media: str, body: bytes) -> None:
    """A JSON body well-formed, its integers within 64 bits, its texts free of control
    characters; a form's values free of them too."""
    if not body:
        return
    if media == JSON:
        path = control_characters(parse_json(body))
    else:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        path = next((name for name, value in pairs if CONTROL.search(value)), None)
    if path is not None:
        raise Invalid("invalid_request", f"{path}: control characters are not allowed", field=path)


async def read_body(declared: bytes | None, receive: Receive, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it is known to pass the limit."""
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"a body is at most {limit} bytes")
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"a body is at most {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, then: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            # What the server says next, as without the guard: the client's leaving
            # (a route that watches for it gives up work nobody waits for, issue 14).
            return await then()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


# ---- the OpenAPI document ----------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details with this service's stable `code`.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "stable; what a client branches on"},
        "request_id": {"type": ["string", "null"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

STATUS_TEXT = {
    400: "Bad request (bad_request, unsupported_grant_type)",
    401: "No valid bearer token (unauthenticated), or wrong credentials",
    402: "Declined: the money movement was refused (its code says why)",
    403: "The wrong role (forbidden), outside the scope (out_of_region), or refused",
    404: "No such object or path (not_found)",
    409: "Conflict with the current state (its code names it)",
    410: "Gone (snapshot_required)",
    413: "The body is too large (payload_too_large)",
    414: "The URI is too long (uri_too_long)",
    415: "The body's media type is not one this operation reads (unsupported_media_type)",
    422: "Invalid request (invalid_request with the fields, or a domain code)",
    429: "Too many attempts (signin_throttled); see Retry-After",
    431: "The request headers are too large (request_headers_too_large)",
    500: "Unexpected error (internal_error), with the request ID to quote",
    503: (
        "The database did not answer in time: service_unavailable (nothing changed) or "
        "outcome_unknown (retry with the same Idempotency-Key); see Retry-After"
    ),
}
# Every operation: anything can be missing, conflict, be invalid, fail, or meet a
# database that does not answer (issue 14).
EVERY_OPERATION = (400, 404, 409, 414, 422, 431, 500, 503)
WITH_A_TOKEN = (401, 403)
WITH_A_BODY = (413, 415)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for statuses a router adds to the shared ones (402, 410, 429)."""
    return {status: {"description": STATUS_TEXT[status]} for status in statuses}


def _problem_response(status: int, described: Mapping[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": STATUS_TEXT.get(status) or (described or {}).get("description") or "Error",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    if status in {429, 503}:
        response["headers"] = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}
    return response


def statuses_of(operation: Mapping[str, Any]) -> set[int]:
    """The error statuses an operation can answer: the shared ones, a token's when it
    takes one, a body's when it has one, and those its router adds (402, 410, 429)."""
    statuses = set(EVERY_OPERATION)
    if operation.get("security"):
        statuses.update(WITH_A_TOKEN)
    if "requestBody" in operation:
        statuses.update(WITH_A_BODY)
    return statuses | {int(status) for status in operation.get("responses", {}) if str(status)[0] in "45"}


def declare_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation's error responses as the problem+json really sent; FastAPI's
    HTTPValidationError replaced, since the 422 sent is a problem too."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses_of(operation)):
                responses[str(status)] = _problem_response(status, responses.get(str(status)))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    bound_integers(document)
    return document


def bound_integers(node: Any) -> None:
    """Give every integer in the document the 64-bit bounds the guard enforces, unless tighter."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("maximum", INT64_MAX)
            node.setdefault("minimum", INT64_MIN)
        for value in node.values():
            bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            bound_integers(value)
