"""Writing and reading the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, select

from sscard.audit.models import AuditEvent
from sscard.events import Audited
from sscard.policy.regions import scope_prefix

if TYPE_CHECKING:
    from sscard.unit import Unit


def record(unit: Unit, event: Audited) -> None:
    """Append one event in the unit's transaction, so it commits with the change
    (the handler of every Audited event)."""
    unit.session.add(
        AuditEvent(
            at=unit.now,
            actor=unit.actor.subject,
            role=unit.actor.role.value,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            region_code=event.region,
            request_id=unit.request_id,
            detail=event.detail,
        )
    )


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters for reading the trail; every field optional."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50


def list_events(unit: Unit, query: AuditQuery) -> Sequence[AuditEvent]:
    """Events newest first, within the reader's region scope."""
    stmt = _filtered(select(AuditEvent), query)
    prefix = scope_prefix(unit.actor.region)
    if prefix:
        stmt = stmt.where(AuditEvent.region_code.startswith(prefix, autoescape=True))
    stmt = stmt.order_by(AuditEvent.id.desc()).limit(query.limit)
    return unit.session.scalars(stmt).all()


def _filtered(stmt: Select[AuditEvent], q: AuditQuery) -> Select[AuditEvent]:
    equal = {
        AuditEvent.actor: q.actor,
        AuditEvent.action: q.action,
        AuditEvent.object_type: q.object_type,
        AuditEvent.object_id: q.object_id,
    }
    for column, value in equal.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if q.since is not None:
        stmt = stmt.where(AuditEvent.at >= q.since)
    if q.until is not None:
        stmt = stmt.where(AuditEvent.at < q.until)
    if q.before_id is not None:
        stmt = stmt.where(AuditEvent.id < q.before_id)
    return stmt
