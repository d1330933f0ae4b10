"""Which list version each terminal applied, and which terminals lag (R-INV-3, R-LIA-2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Gauge
from sqlalchemy import func, select

from sscard.errors import Invalid
from sscard.institutions.models import Institution, Terminal
from sscard.invalid_list.models import ListChange
from sscard.invalid_list.service import current_version
from sscard.policy.regions import Level, level_of, parent_of, scope_prefix
from sscard.unit import Unit

# A count in the database, which every worker's jobs take: the newest count stands.
TERMINALS_LAGGING = Gauge(
    "sscard_terminals_lagging",
    "Terminals whose invalid list is older than their region's max_list_lag_minutes",
    multiprocess_mode="mostrecent",
)


def city_of(region: str) -> str:
    """The list a region's terminals follow: a district's city, else the region itself."""
    return (parent_of(region) or region) if level_of(region) is Level.district else region


def acknowledge(unit: Unit, version: int) -> None:
    """A terminal reports the version it applied; never beyond the newest."""
    newest = current_version(unit.session)
    if version > newest:
        raise Invalid("invalid_request", f"version {version} does not exist yet (newest {newest})", field="version")
    terminal = unit.session.scalars(select(Terminal).where(Terminal.terminal_id == unit.actor.subject)).one()
    terminal.list_version, terminal.list_synced_at = version, unit.now


@dataclass(frozen=True, slots=True)
class TerminalLag:
    terminal: Terminal
    institution: Institution
    # The instant of the oldest change the terminal has not applied, if any.
    behind_since: datetime | None
    lagging: bool


def terminal_lags(unit: Unit, *, behind_only: bool = False) -> Sequence[TerminalLag]:
    """Every terminal in the caller's scope with how far behind it is; `behind_only`
    leaves out the terminals that hold the newest version (none of them can lag), so
    that asking for the lagging ones reads only the few that may."""
    stmt = select(Terminal, Institution).join(Institution)
    if behind_only:
        stmt = stmt.where(func.coalesce(Terminal.list_version, 0) < current_version(unit.session))
    prefix = scope_prefix(unit.actor.region)
    if prefix:
        stmt = stmt.where(Institution.region_code.startswith(prefix, autoescape=True))
    lags: list[TerminalLag] = []
    oldest_unapplied: dict[tuple[int, str], datetime | None] = {}
    # One policy read per region, not per terminal: a city has hundreds of terminals.
    max_lags: dict[str, timedelta] = {}
    for terminal, institution in unit.session.execute(stmt.order_by(Terminal.id)).all():
        # A terminal follows its own city's list by default (R-INV-2): only changes
        # there can leave it behind.
        key = (terminal.list_version or 0, scope_prefix(city_of(institution.region_code)))
        if key not in oldest_unapplied:
            oldest_unapplied[key] = _first_change_after(unit, *key)
        behind = oldest_unapplied[key]
        region = institution.region_code
        if region not in max_lags:
            max_lags[region] = timedelta(minutes=unit.policy(region).max_list_lag_minutes)
        lagging = behind is not None and unit.now - behind > max_lags[region]
        lags.append(TerminalLag(terminal, institution, behind, lagging))
    return lags


def _first_change_after(unit: Unit, version: int, prefix: str) -> datetime | None:
    stmt = select(func.min(ListChange.at)).where(ListChange.version > version)
    if prefix:
        stmt = stmt.where(ListChange.region_code.startswith(prefix, autoescape=True))
    return unit.session.scalar(stmt)


def count_lagging(unit: Unit) -> int:
    """Set the lagging-terminals gauge for /metrics; how many lag (R-INV-3)."""
    lagging = sum(1 for lag in terminal_lags(unit, behind_only=True) if lag.lagging)
    TERMINALS_LAGGING.set(lagging)
    return lagging
