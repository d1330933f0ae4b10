"""Regions, region policy and regions' working-day calendars in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sscard.errors import Invalid, NotFound
from sscard.policy import rules
from sscard.policy.calendar import WorkingCalendar, official_is_working_day
from sscard.policy.models import RegionDay, RegionPolicyRow, RegionRow
from sscard.policy.regions import BUILTIN_REGIONS, NATIONAL, Region, is_region_code, level_of, lineage

NATION = Region(NATIONAL, "全国")
# When built-in policy rows say they were written: not a real instant, a marker.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
OFFICIAL = "official"
MAX_CALENDAR_DAYS = 400

if TYPE_CHECKING:
    from sscard.unit import Unit


def sync_regions(session: Session, regions: tuple[Region, ...] = BUILTIN_REGIONS) -> int:
    """Insert regions the table lacks and rename changed ones; returns rows written."""
    existing = {row.code: row for row in session.scalars(select(RegionRow))}
    written = 0
    for region in (NATION, *regions):
        row = existing.get(region.code)
        if row is None:
            session.add(RegionRow(code=region.code, name=region.name, level=level_of(region.code)))
            written += 1
        elif row.name != region.name:
            row.name = region.name
            written += 1
    session.flush()
    return written + _builtin_policies(session)


def _builtin_policies(session: Session) -> int:
    written = 0
    for code, overrides in rules.BUILTIN_OVERRIDES.items():
        if session.get(RegionPolicyRow, code) is None and session.get(RegionRow, code) is not None:
            session.add(
                RegionPolicyRow(region_code=code, overrides=dict(overrides), updated_at=_EPOCH, updated_by="builtin")
            )
            written += 1
    session.flush()
    return written


# Codes seen to exist. Regions are reference data that is added to, never removed, so a
# code once found needs no second look-up (the inquiry path asks on every request).
_KNOWN_REGIONS: set[str] = set()


def is_known_region(code: str) -> bool:
    """Whether the code was already found to exist: then no database need say so."""
    return code in _KNOWN_REGIONS


def get_region(session: Session, code: str) -> None:
    """Refuse an unknown region: 422 unknown_region."""
    if code in _KNOWN_REGIONS:
        return
    if not is_region_code(code) or session.get(RegionRow, code) is None:
        raise Invalid("unknown_region", f"{code!r} is not a known region code", field="region")
    _KNOWN_REGIONS.add(code)


def policy_for(session: Session, code: str) -> rules.Policy:
    """The policy in force for a region: national → province → city → district."""
    chain = lineage(code)
    rows = {
        row.region_code: row.overrides
        for row in session.scalars(select(RegionPolicyRow).where(RegionPolicyRow.region_code.in_(chain)))
    }
    return rules.resolve([(c, rows.get(c, {})) for c in chain])


def read_policy(session: Session, code: str) -> rules.Policy:
    """GET …/policy: a known region's policy (404 for an unknown one)."""
    _known_region(session, code)
    return policy_for(session, code)


def update_policy(unit: Unit, code: str, document: dict[str, Any]) -> rules.Policy:
    """PUT …/policy: set the fields given on this region; null clears (inherit)."""
    _writable_region(unit, code)
    row = unit.session.get(RegionPolicyRow, code)
    current = row.overrides if row else {}
    try:
        overrides = rules.apply_patch(current, rules.flatten(document))
    except rules.PolicyError as exc:
        raise Invalid("invalid_policy", str(exc), field=exc.field) from exc
    if row is None:
        row = RegionPolicyRow(region_code=code)
        unit.session.add(row)
    row.overrides, row.updated_at, row.updated_by = overrides, unit.now, unit.actor.subject
    unit.session.flush()
    unit.audit("policy.update", ("region", code), code, changes=document)
    return policy_for(unit.session, code)


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One day as a region sees it: worked or not, and who decided (OFFICIAL or a region code)."""

    day: date
    working: bool
    source: str
    note: str | None


def calendar_for(session: Session, region_code: str) -> WorkingCalendar:
    """The working-day calendar in force for a region (R-REP-3): its lineage's own days."""
    rows = _lineage_days(session, region_code)
    return WorkingCalendar({day: row.working for day, row in rows.items()})


def calendar_days(session: Session, code: str, start: date, end: date) -> list[CalendarDay]:
    """GET …/calendar: every day from `start` to `end` inclusive (404 for an unknown region)."""
    _known_region(session, code)
    count = _days_in_range(start, end)
    rows = _lineage_days(session, code, start, end)
    days = (start + timedelta(days=offset) for offset in range(count))
    return [_calendar_day(day, rows.get(day)) for day in days]


def set_day(unit: Unit, code: str, day: date, working: bool, note: str) -> CalendarDay:
    """PUT …/calendar/{day}: make a day a working day or a day off in this region."""
    _writable_region(unit, code)
    row = unit.session.get(RegionDay, (code, day))
    if row is None:
        row = RegionDay(region_code=code, day=day)
        unit.session.add(row)
    row.working, row.note = working, note
    row.updated_at, row.updated_by = unit.now, unit.actor.subject
    unit.session.flush()
    unit.audit("calendar.set", ("region", code), code, day=day.isoformat(), working=working, note=note)
    return _calendar_day(day, row)


def clear_day(unit: Unit, code: str, day: date) -> None:
    """DELETE …/calendar/{day}: the day follows the parent regions or the official calendar again."""
    _writable_region(unit, code)
    row = unit.session.get(RegionDay, (code, day))
    if row is None:
        raise NotFound(f"region {code} has no entry of its own for {day.isoformat()}")
    unit.session.delete(row)
    unit.session.flush()
    unit.audit("calendar.clear", ("region", code), code, day=day.isoformat())


def _known_region(session: Session, code: str, *, for_update: bool = False) -> RegionRow:
    """A region named in a path; 404 for an unknown or malformed code."""
    stmt = select(RegionRow).where(RegionRow.code == code)
    row = (
        session.scalars(stmt.with_for_update() if for_update else stmt).one_or_none() if is_region_code(code) else None
    )
    if row is None:
        raise NotFound(f"no region {code}")
    return row


def _writable_region(unit: Unit, code: str) -> None:
    # Known first (a malformed code has no scope to check), then in the caller's scope;
    # the region row is locked so that two admins' first writes queue, not clash.
    _known_region(unit.session, code, for_update=True)
    unit.actor.require_region(code)


def _days_in_range(start: date, end: date) -> int:
    count = (end - start).days + 1
    if count < 1:
        raise Invalid("invalid_request", "`to` is before `from`", field="to")
    if count > MAX_CALENDAR_DAYS:
        raise Invalid("invalid_request", f"at most {MAX_CALENDAR_DAYS} days per request, not {count}", field="to")
    return count


def _lineage_days(
    session: Session, code: str, start: date | None = None, end: date | None = None
) -> dict[date, RegionDay]:
    """The entries in force for a region, by day: a deeper region's beats its parent's."""
    chain = lineage(code)
    query = select(RegionDay).where(RegionDay.region_code.in_(chain))
    if start is not None:
        query = query.where(RegionDay.day >= start)
    if end is not None:
        query = query.where(RegionDay.day <= end)
    depth = {region: index for index, region in enumerate(chain)}
    rows = sorted(session.scalars(query), key=lambda row: depth[row.region_code])
    return {row.day: row for row in rows}


def _calendar_day(day: date, row: RegionDay | None) -> CalendarDay:
    if row is None:
        return CalendarDay(day, official_is_working_day(day), OFFICIAL, None)
    return CalendarDay(day, row.working, row.region_code, row.note)
