"""Scheduled work: `sscard jobs run` once, or every interval inside `sscard serve`.

Each job is idempotent and safe in several processes at once (row locks, rows held by
another process skipped), so every server process may run the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from anyio import to_thread

from sscard.cards.expiry import list_expired_cards, warn_expiring_cards
from sscard.db import log_failure, transaction
from sscard.invalid_list.retention import trim_change_log
from sscard.invalid_list.sync import count_lagging
from sscard.loss.replacement import announce_ready_replacements
from sscard.loss.service import release_expired_provisional
from sscard.outbox import drain, measure
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.unit import Unit

log = logging.getLogger("sscard.jobs")
SYSTEM = Principal(subject="system", role=Role.ADMIN)
JOBS: dict[str, Callable[[Unit], int]] = {
    "release_expired_provisional": release_expired_provisional,  # R-LOSS-5
    "count_lagging_terminals": count_lagging,  # R-INV-3, for /metrics
    "list_expired_cards": list_expired_cards,  # R-CARD-4
    "warn_expiring_cards": warn_expiring_cards,  # R-CARD-4, R-NOTE-1
    "announce_ready_replacements": announce_ready_replacements,  # R-REP-3, R-NOTE-1
    "trim_list_changes": trim_change_log,  # R-INV-3: the change log's retention
    "measure_outbox": measure,  # the backlog, for /metrics
}
# How long the outbox drainer sleeps when no commit wakes it: other processes' messages
# and retries after a backoff are picked up within this.
OUTBOX_POLL_SECONDS = 2.0


def run_due_jobs(rt: Runtime) -> dict[str, int]:
    """Run every job once, each in its own transaction; how many items each handled."""
    done: dict[str, int] = {}
    for name, job in JOBS.items():
        with transaction(rt.sessions) as session:
            done[name] = job(Unit(session=session, runtime=rt, actor=SYSTEM, now=rt.clock.now()))
        if done[name]:
            log.info("job %s handled %d", name, done[name])
    done["outbox"] = drain(rt)  # what the jobs queued goes out now
    return done


async def run_forever(rt: Runtime, interval_seconds: float) -> None:
    """Run the jobs every interval until cancelled; a failing run is logged, not fatal."""
    while True:
        try:
            await to_thread.run_sync(run_due_jobs, rt)
        except Exception as exc:  # noqa: BLE001 (logged; the loop must go on)
            log_failure(log, f"scheduled jobs failed; retrying in {interval_seconds:.0f} s", exc)
        await asyncio.sleep(interval_seconds)


def _wait_and_drain(rt: Runtime, poll_seconds: float) -> int:
    rt.outbox_wakeup.wait(poll_seconds)
    rt.outbox_wakeup.clear()
    return drain(rt)


async def drain_outbox_forever(rt: Runtime, poll_seconds: float = OUTBOX_POLL_SECONDS) -> None:
    """Deliver outbox messages as their transactions commit, until cancelled (R-NOTE-1, R-NOTE-2)."""
    while True:
        try:
            await to_thread.run_sync(_wait_and_drain, rt, poll_seconds, abandon_on_cancel=True)
        except Exception as exc:  # noqa: BLE001 (logged; the loop must go on)
            log_failure(log, f"the outbox drainer failed; retrying in {poll_seconds:.0f} s", exc)
            await asyncio.sleep(poll_seconds)
