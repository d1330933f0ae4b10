"""How long the change log is kept (R-INV-3).

Terminals follow `changes?since=` and the stream from the version they hold; one that
has been away longer than the retention is told 410 snapshot_required and downloads a
snapshot, which is built from the list itself and needs no log. Trimming takes the
oldest changes only, so the log kept stays one unbroken run of versions up to the
newest: a terminal that can still follow never misses a change.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from sscard.invalid_list.models import ListChange
from sscard.unit import Unit

# Changes deleted per run at most: the job's transaction stays short, and a long
# backlog goes in a few runs (the scheduler runs every minute).
TRIM_BATCH = 50_000


def trim_change_log(unit: Unit) -> int:
    """Delete the changes older than `list_retention_days`, oldest first; how many."""
    days = unit.runtime.settings.list_retention_days
    oldest = unit.session.scalar(select(func.min(ListChange.version)))
    if not days or oldest is None:
        return 0
    cutoff = unit.now - timedelta(days=days)
    window = (ListChange.version >= oldest) & (ListChange.version < oldest + TRIM_BATCH)
    # Stop at the first change still young enough, whatever comes after it: a clock set
    # back must not punch a hole in the log.
    young = unit.session.scalar(select(func.min(ListChange.version)).where(window, ListChange.at >= cutoff))
    through = (
        young - 1 if young is not None else unit.session.scalar(select(func.max(ListChange.version)).where(window))
    )
    if through is None or through < oldest:
        return 0
    result = unit.session.execute(delete(ListChange).where(ListChange.version <= through))
    return int(result.rowcount)  # type: ignore[attr-defined]
