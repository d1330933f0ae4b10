"""The per-request cost of issue 11's checks: `sscard.http.principal`, the access
dependency (R-SEC-2), and `sscard.contract.InputGuard`.

    .venv/bin/python -m bench.token_check

Times the dependency in-process with a warm cache: a terminal's token and a staff
token, each checked against a generation (of the terminal, of the login) read less
than a second ago; and
the guard in front of a B1 settlement (a JSON body) and a B3 inquiry (a query).
"""

from __future__ import annotations

import json
import timeit
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sscard import http
from sscard.auth.tokens import TokenSigner
from sscard.clock import SystemClock
from sscard.contract import InputGuard
from sscard.roles import Principal, Role

CALLS = 200_000
ROUNDS = 7


def per_call_microseconds(principal: Principal) -> float:
    """The fastest of ROUNDS rounds of CALLS calls, in µs per call."""
    signer, clock = TokenSigner(b"b" * 40, timedelta(seconds=900)), SystemClock()
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(runtime=_runtime(signer, clock))))
    token = signer.issue(principal, clock.now())
    _warm(signer, token, principal, clock)

    def call() -> None:
        coroutine = http.principal(request, token)
        try:
            coroutine.send(None)
        except StopIteration:
            return

    return min(timeit.timeit(call, number=CALLS) for _ in range(ROUNDS)) / CALLS * 1e6


def _runtime(signer: TokenSigner, clock: SystemClock) -> Any:
    return SimpleNamespace(tokens=signer, clock=clock)


def _warm(signer: TokenSigner, token: str, principal: Principal, clock: SystemClock) -> None:
    signer.grants.ttl = float("inf")  # the warm case: the login was read within the second
    _, grant = signer.check(token, clock.now())
    signer.grants.remember(grant, principal.generation, grant.epoch)


def guard_microseconds(scope: dict[str, Any], body: bytes) -> float:
    """The guard's own cost per request, in µs (its inner app does nothing)."""

    async def inner(_scope: Any, _receive: Any, _send: Any) -> None:
        return

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    guard = InputGuard(inner, max_body=1024 * 1024, answer=lambda _refusal: inner)

    def call() -> None:
        coroutine = guard(scope, receive, None)  # type: ignore[arg-type]
        try:
            coroutine.send(None)
        except StopIteration:
            return

    return min(timeit.timeit(call, number=CALLS) for _ in range(ROUNDS)) / CALLS * 1e6


def _http(method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    return {"type": "http", "method": method, "path": path, "query_string": query, "headers": headers or []}


def main() -> None:
    terminal = Principal(subject="T0001", role=Role.TERMINAL, region="110105", institution_id=1, generation=1)
    clerk = Principal(subject="clerk.bench", role=Role.CLERK, region="110000", generation=1)
    print(f"terminal token, generation checked (warm): {per_call_microseconds(terminal):.2f} µs per request")
    print(f"staff token, generation checked (warm): {per_call_microseconds(clerk):.2f} µs per request")
    body = json.dumps({"card_no": "1101050000000001", "pin": "246810", "amount": 1200, "category": "drug"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    settle = _http("POST", "/v1/settlements", headers=headers)
    inquiry = _http("GET", "/v1/invalid-list/inquiry", b"card_no=1101050000000001")
    print(f"input guard, settlement body: {guard_microseconds(settle, body):.2f} µs per request")
    print(f"input guard, inquiry query: {guard_microseconds(inquiry, b''):.2f} µs per request")


if __name__ == "__main__":
    main()
