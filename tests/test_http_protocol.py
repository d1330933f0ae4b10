"""Oversized and malformed request heads through the real server (`sscard serve`):
problem+json with a stable code, never uvicorn's plain text (issue 11)."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from sscard.http_protocol import MAX_HEADER_BYTES, MAX_HEADERS, MAX_TARGET_BYTES
from tests.servers import demo_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with demo_server(tmp_path_factory.mktemp("serve")) as running:
        address = urlsplit(running.base)
        assert address.hostname is not None
        assert address.port is not None
        yield address.hostname, address.port


def exchange(server: tuple[str, int], request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send the raw bytes; the status, headers and body of the answer."""
    with socket.create_connection(server, timeout=30) as connection:
        # The server may answer and close before it has taken it all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)
        received = b""
        while chunk := _receive(connection):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split(" ")[1]), headers, body


def _receive(connection: socket.socket) -> bytes:
    try:
        return connection.recv(65536)
    except ConnectionResetError:
        return b""


def get(target: bytes, headers: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: sscard\r\nConnection: close\r\n" + headers + b"\r\n"


def problem(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, str, dict[str, Any]]:
    status, headers, body = answer
    assert headers["content-type"] == "application/problem+json", (status, headers, body[:200])
    document = json.loads(body)
    assert document["status"] == status
    assert document["request_id"] == headers["x-request-id"]
    assert {"type", "title", "detail"} <= document.keys()
    return status, document["code"], document


def test_a_100000_character_path_is_414_uri_too_long(server: tuple[str, int]) -> None:
    status, code, _ = problem(exchange(server, get(b"/v1/persons/" + b"1" * 100_000)))
    assert (status, code) == (414, "uri_too_long")


@pytest.mark.parametrize("length", [5_000, MAX_TARGET_BYTES, MAX_TARGET_BYTES + 1, 70_000, 2_000_000])
def test_every_overlong_target_is_414_whoever_refuses_it(server: tuple[str, int], length: int) -> None:
    # Up to MAX_TARGET_BYTES the application refuses the path; past it the protocol.
    status, code, _ = problem(exchange(server, get(b"/v1/" + b"a" * length)))
    assert (status, code) == (414, "uri_too_long")


def test_a_long_query_within_the_bound_reaches_the_application(server: tuple[str, int]) -> None:
    status, code, _ = problem(exchange(server, get(b"/v1/guide?situation=" + b"x" * (MAX_TARGET_BYTES - 100))))
    assert (status, code) == (422, "invalid_request")


def test_one_huge_header_is_431(server: tuple[str, int]) -> None:
    status, code, _ = problem(exchange(server, get(b"/livez", b"X-Big: " + b"b" * 100_000 + b"\r\n")))
    assert (status, code) == (431, "request_headers_too_large")


def test_too_many_headers_or_megabytes_of_them_are_431(server: tuple[str, int]) -> None:
    many = b"".join(b"X-H%d: v\r\n" % number for number in range(MAX_HEADERS + 1))
    megabytes = b"".join(b"X-H%d: %s\r\n" % (number, b"c" * 100) for number in range(20_000))
    for headers in (many, megabytes):
        status, code, _ = problem(exchange(server, get(b"/livez", headers)))
        assert (status, code) == (431, "request_headers_too_large")


def test_headers_up_to_the_bound_are_served(server: tuple[str, int]) -> None:
    fields = MAX_HEADERS - 2  # Host and Connection besides: MAX_HEADERS in all
    size = (MAX_HEADER_BYTES - 100) // fields - len(b"X-H00")
    headers = b"".join(b"X-H%02d: %s\r\n" % (number, b"v" * size) for number in range(fields))
    status, answer_headers, body = exchange(server, get(b"/livez", headers))
    assert status == 200, body
    assert answer_headers["content-type"] == "application/json"


def test_a_malformed_request_is_400_bad_request(server: tuple[str, int]) -> None:
    status, code, _ = problem(exchange(server, b"GET /livez HTTP/1.1\r\nHost sscard\r\n\r\n"))
    assert (status, code) == (400, "bad_request")


def test_the_refusal_speaks_chinese_to_who_asks(server: tuple[str, int]) -> None:
    request = get(b"/livez", b"Accept-Language: zh-CN\r\n" + b"X-Big: " + b"b" * 40_000 + b"\r\n")
    _, code, document = problem(exchange(server, request))
    assert code == "request_headers_too_large"
    assert document["detail"] == "请求头过大。"
