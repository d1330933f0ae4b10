"""Regions and region policy in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sscard.errors import Invalid, NotFound
from sscard.policy import rules
from sscard.policy.models import RegionPolicyRow, RegionRow
from sscard.policy.regions import BUILTIN_REGIONS, NATIONAL, Region, is_region_code, level_of, lineage

NATION = Region(NATIONAL, "全国")

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
    return written


def get_region(session: Session, code: str) -> RegionRow:
    """A known region; 422 unknown_region otherwise."""
    row = session.get(RegionRow, code) if is_region_code(code) else None
    if row is None:
        raise Invalid("unknown_region", f"{code!r} is not a known region code", field="region")
    return row


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
    if not is_region_code(code) or session.get(RegionRow, code) is None:
        raise NotFound(f"no region {code}")
    return policy_for(session, code)


def update_policy(unit: Unit, code: str, document: dict[str, Any]) -> rules.Policy:
    """PUT …/policy: set the fields given on this region; null clears (inherit)."""
    unit.actor.require_region(code)
    read_policy(unit.session, code)
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
