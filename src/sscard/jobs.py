"""Scheduled work: `sscard jobs run` once, or every interval inside `sscard serve`.

Each job is idempotent and safe in several processes at once (row locks, rows held by
another process skipped), so every server process may run the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from anyio import to_thread

from sscard.auth.roles import Principal, Role
from sscard.db import transaction
from sscard.invalid_list.sync import count_lagging
from sscard.loss.service import release_expired_provisional
from sscard.runtime import Runtime
from sscard.unit import Unit

log = logging.getLogger("sscard.jobs")
SYSTEM = Principal(subject="system", role=Role.ADMIN)
JOBS: dict[str, Callable[[Unit], int]] = {
    "release_expired_provisional": release_expired_provisional,  # R-LOSS-5
    "count_lagging_terminals": count_lagging,  # R-INV-3, for /metrics
}


def run_due_jobs(rt: Runtime) -> dict[str, int]:
    """Run every job once, each in its own transaction; how many items each handled."""
    done: dict[str, int] = {}
    for name, job in JOBS.items():
        with transaction(rt.sessions) as session:
            done[name] = job(Unit(session=session, runtime=rt, actor=SYSTEM, now=rt.clock.now()))
        if done[name]:
            log.info("job %s handled %d", name, done[name])
    return done


async def run_forever(rt: Runtime, interval_seconds: float) -> None:
    """Run the jobs every interval until cancelled; a failing run is logged, not fatal."""
    while True:
        try:
            await to_thread.run_sync(run_due_jobs, rt)
        except Exception:
            log.exception("scheduled jobs failed; retrying in %.0f s", interval_seconds)
        await asyncio.sleep(interval_seconds)
