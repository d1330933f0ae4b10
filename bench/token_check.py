"""The per-request cost of `sscard.http.principal`, the access dependency (issue 11, R-SEC-2).

    .venv/bin/python -m bench.token_check

Times the dependency in-process with a warm cache: a terminal's token (no login to
check) and a staff token, whose login generation was read less than a second ago.
"""

from __future__ import annotations

import timeit
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sscard import http
from sscard.auth.roles import Principal, Role
from sscard.auth.tokens import TokenSigner
from sscard.clock import SystemClock

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
    if grant is not None:
        signer.grants.remember(grant, principal.generation, grant.epoch)


def main() -> None:
    terminal = Principal(subject="T0001", role=Role.TERMINAL, region="110105", institution_id=1)
    clerk = Principal(subject="clerk.bench", role=Role.CLERK, region="110000", generation=1)
    print(f"terminal token: {per_call_microseconds(terminal):.2f} µs per request")
    print(f"staff token, generation checked (warm): {per_call_microseconds(clerk):.2f} µs per request")


if __name__ == "__main__":
    main()
