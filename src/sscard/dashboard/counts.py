"""Adding to a dashboard count: one upsert, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from sscard.dashboard.models import DashboardCount
from sscard.hot_path import HotStatement

SETTLEMENT, LOSS, INVALID, REPLACEMENT = "settlement", "loss", "invalid", "replacement"
EPOCH_DAY = date(1970, 1, 1)
STANDING = 0  # the bucket of a count that is about no hour or day (the invalid list now)
_KEY = ("metric", "bucket", "region_code", "key", "shard")


def hour_of(at: datetime) -> int:
    """The whole hours since 1970-01-01 UTC at an instant."""
    return int(at.astimezone(UTC).timestamp()) // 3600


def hour_start(hour: int) -> datetime:
    """The instant an hour number starts."""
    return datetime.fromtimestamp(hour * 3600, tz=UTC)


def _upsert(module: object) -> Insert:
    insert = module.insert  # type: ignore[attr-defined]
    table = DashboardCount.__table__
    values: dict[str, Any] = {name: bindparam(name) for name in (*_KEY, "n")}
    stmt = insert(table).values(values)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(_KEY), set_={"n": table.c.n + stmt.excluded.n}
    )


# Built once per dialect: a settlement pays for this on every charge.
_UPSERT = HotStatement(_upsert(postgresql), elsewhere=_upsert(sqlite))


def day_of(day: date) -> int:
    """The days since 1970-01-01 of a date."""
    return (day - EPOCH_DAY).days


def bump(session: Session, metric: str, bucket: int, region: str, key: str, *, shard: int = 0, by: int = 1) -> None:
    """Add `by` to a count, creating it at `by`."""
    values = {"metric": metric, "bucket": bucket, "region_code": region, "key": key, "shard": shard, "n": by}
    _UPSERT.rows(session, values)
