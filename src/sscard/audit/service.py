"""Writing and reading the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from sscard.audit.models import AuditEvent
from sscard.policy.regions import scope_prefix

if TYPE_CHECKING:
    from sscard.unit import Unit


def record(
    unit: Unit, *, action: str, obj: tuple[str, object], region: str | None, detail: dict[str, Any]
) -> AuditEvent:
    """Append one event in the unit's transaction, so it commits with the change."""
    object_type, object_id = obj
    event = AuditEvent(
        at=unit.now,
        actor=unit.actor.subject,
        role=unit.actor.role.value,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region,
        request_id=unit.request_id,
        detail=detail,
    )
    unit.session.add(event)
    return event


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


def _filtered(stmt: Select[tuple[AuditEvent]], q: AuditQuery) -> Select[tuple[AuditEvent]]:
    conditions = [
        (q.actor, lambda v: AuditEvent.actor == v),
        (q.action, lambda v: AuditEvent.action == v),
        (q.object_type, lambda v: AuditEvent.object_type == v),
        (q.object_id, lambda v: AuditEvent.object_id == v),
        (q.since, lambda v: AuditEvent.at >= v),
        (q.until, lambda v: AuditEvent.at < v),
        (q.before_id, lambda v: AuditEvent.id < v),
    ]
    for value, condition in conditions:
        if value is not None:
            stmt = stmt.where(condition(value))
    return stmt
