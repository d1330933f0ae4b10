"""Helpers for tests that race real, committed transactions against each other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sscard.db import transaction
from sscard.errors import ServiceError
from sscard.roles import Principal
from sscard.runtime import Runtime
from sscard.unit import Unit

T = TypeVar("T")


def in_unit(rt: Runtime, actor: Principal, work: Callable[[Unit], T]) -> T:
    """Run `work` in its own committed unit of work, as one request would."""
    with transaction(rt.sessions) as session:
        return work(Unit(session=session, runtime=rt, actor=actor, now=rt.clock.now()))


def as_request(rt: Runtime, actor: Principal, work: Callable[[Unit], object]) -> Callable[[], object]:
    """`work` as one request by `actor`, ready to race."""
    return lambda: in_unit(rt, actor, work)


def race(*contenders: Callable[[], object]) -> list[object]:
    """Start every contender at the same instant; each one's result, or the code of
    the refusal it met."""
    start = threading.Barrier(len(contenders))

    def run(contender: Callable[[], object]) -> object:
        start.wait()
        try:
            return contender()
        except ServiceError as refusal:
            return refusal.code

    with ThreadPoolExecutor(len(contenders)) as pool:
        return list(pool.map(run, contenders))
