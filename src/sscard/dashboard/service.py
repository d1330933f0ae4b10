"""The dashboard's figures for an admin's scope, each from a summary count or a partial
index: none reads more rows than it shows (tests/dashboard/test_dashboard_plans.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, select, true
from sqlalchemy.orm import InstrumentedAttribute

from sscard.claims.models import Claim
from sscard.clock import china_date
from sscard.dashboard.counts import INVALID, LOSS, REPLACEMENT, SETTLEMENT, STANDING, day_of, hour_of, hour_start
from sscard.dashboard.models import WAITING_CLAIM, DashboardCount
from sscard.invalid_list.service import current_version
from sscard.invalid_list.sync import TerminalLag, terminal_lags
from sscard.policy.regions import scope_prefix
from sscard.unit import Unit

HOURS = 24
LOSS_DAYS = 30
# An open replacement not collected this many days after its ready date is overdue.
OVERDUE_DAYS = 14
OUTCOMES = ("approved", "declined")
CHANNELS = ("hotline", "online", "kiosk", "written", "bank", "counter")


@dataclass(frozen=True, slots=True)
class HourCount:
    start: datetime
    approved: int
    declined: int


@dataclass(frozen=True, slots=True)
class Replacements:
    in_production: int
    ready: int
    overdue: int


@dataclass(frozen=True, slots=True)
class WaitingClaims:
    status: str
    count: int
    oldest: datetime | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything /admin shows, as of `now`."""

    now: datetime
    scope: str
    list_version: int
    # (region, reason, cards) for every region of the scope with listed cards.
    invalid: Sequence[tuple[str, str, int]]
    lagging: Sequence[TerminalLag]
    settlements: Sequence[HourCount]
    losses: Sequence[tuple[str, int]]
    replacements: Replacements
    claims: Sequence[WaitingClaims]

    def invalid_by_reason(self) -> list[tuple[str, int]]:
        totals: dict[str, int] = {}
        for _, reason, n in self.invalid:
            totals[reason] = totals.get(reason, 0) + n
        return sorted(totals.items())


def _in_scope(column: InstrumentedAttribute[str], scope: str) -> ColumnElement[bool]:
    """The rows of regions under the scope (every row for the nation)."""
    prefix = scope_prefix(scope)
    return column.startswith(prefix, autoescape=True) if prefix else true()


def invalid_statement(scope: str) -> Select[str, str, int]:
    """The list now, by region and reason (R-INV-1)."""
    return (
        select(DashboardCount.region_code, DashboardCount.key, func.sum(DashboardCount.n))
        .where(DashboardCount.metric == INVALID, DashboardCount.bucket == STANDING)
        .where(_in_scope(DashboardCount.region_code, scope))
        .group_by(DashboardCount.region_code, DashboardCount.key)
        .having(func.sum(DashboardCount.n) > 0)
        .order_by(DashboardCount.region_code, DashboardCount.key)
    )


def hourly_statement(metric: str, scope: str, first_bucket: int) -> Select[int, str, int]:
    """A metric's counts by bucket (hour or day) and key from `first_bucket` on."""
    return (
        select(DashboardCount.bucket, DashboardCount.key, func.sum(DashboardCount.n))
        .where(DashboardCount.metric == metric, DashboardCount.bucket >= first_bucket)
        .where(_in_scope(DashboardCount.region_code, scope))
        .group_by(DashboardCount.bucket, DashboardCount.key)
    )


def replacements_statement(scope: str, now: datetime) -> Select[int, int, int]:
    """The open replacements: in production, ready, and overdue (R-REP-3), by the old
    card's region as the queue has it."""
    today = day_of(china_date(now))
    n = DashboardCount.n
    return select(
        func.coalesce(func.sum(case((DashboardCount.bucket > today, n), else_=0)), 0),
        func.coalesce(func.sum(case((DashboardCount.bucket <= today, n), else_=0)), 0),
        func.coalesce(func.sum(case((DashboardCount.bucket < today - OVERDUE_DAYS, n), else_=0)), 0),
    ).where(DashboardCount.metric == REPLACEMENT, _in_scope(DashboardCount.region_code, scope))


def claims_statement(scope: str) -> Select[str, int, datetime]:
    """The claims waiting for a decision, by status, with the oldest (R-CLM-2, R-SEC-4)."""
    return (
        select(Claim.status, func.count(), func.min(Claim.submitted_at))
        .where(WAITING_CLAIM, _in_scope(Claim.region_code, scope))
        .group_by(Claim.status)
        .order_by(Claim.status)
    )


def dashboard(unit: Unit) -> Dashboard:
    """The figures of the caller's scope."""
    scope, now, session = unit.actor.region, unit.now, unit.session
    last_hour = hour_of(now)
    first_hour = last_hour - HOURS + 1
    by_hour = {(h, key): int(n) for h, key, n in session.execute(hourly_statement(SETTLEMENT, scope, first_hour))}
    settlements = [
        HourCount(hour_start(h), by_hour.get((h, "approved"), 0), by_hour.get((h, "declined"), 0))
        for h in range(first_hour, last_hour + 1)
    ]
    loss_totals = dict.fromkeys(CHANNELS, 0)
    first_day = day_of(china_date(now)) - LOSS_DAYS + 1
    for _, channel, n in session.execute(hourly_statement(LOSS, scope, first_day)):
        loss_totals[channel] = loss_totals.get(channel, 0) + int(n)
    in_production, ready, overdue = session.execute(replacements_statement(scope, now)).one()
    claims = [WaitingClaims(s, int(n), oldest) for s, n, oldest in session.execute(claims_statement(scope))]
    return Dashboard(
        now=now,
        scope=scope,
        list_version=current_version(session),
        invalid=[(r, k, int(n)) for r, k, n in session.execute(invalid_statement(scope))],
        lagging=[lag for lag in terminal_lags(unit, behind_only=True) if lag.lagging],
        settlements=settlements,
        losses=list(loss_totals.items()),
        replacements=Replacements(int(in_production), int(ready), int(overdue)),
        claims=claims,
    )


def live(unit: Unit) -> dict[str, object]:
    """What the dashboard refreshes without a reload: the list version, the lagging terminals."""
    return {
        "list_version": current_version(unit.session),
        "lagging": [
            {
                "terminal_id": lag.terminal.terminal_id,
                "institution": lag.institution.name,
                "region": lag.institution.region_code,
                "list_version": lag.terminal.list_version,
                "list_synced_at": lag.terminal.list_synced_at.isoformat() if lag.terminal.list_synced_at else None,
            }
            for lag in terminal_lags(unit, behind_only=True)
            if lag.lagging
        ],
    }
