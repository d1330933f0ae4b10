"""Reading the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from sscard.audit.service import AuditQuery, list_events
from sscard.http import allow
from sscard.roles import Role
from sscard.schemas import Out
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditEventRead(Out):
    event_id: int
    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    region: str | None
    request_id: str | None
    detail: dict[str, Any]


class AuditPage(Out):
    items: list[AuditEventRead]
    next: str | None


@router.get("/audit")
def audit_events(
    unit: Annotated[Unit, Depends(allow(Role.AUDITOR, Role.ADMIN, read_only=True))],
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    cursor: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """Audit events, newest first, within the caller's region scope."""
    query = AuditQuery(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
        before_id=cursor,
        limit=limit + 1,
    )
    rows = list_events(unit, query)
    page = rows[:limit]
    items = [
        AuditEventRead(
            event_id=e.id,
            at=e.at,
            actor=e.actor,
            role=e.role,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            region=e.region_code,
            request_id=e.request_id,
            detail=e.detail,
        )
        for e in page
    ]
    return AuditPage(items=items, next=str(page[-1].id) if len(rows) > limit else None)
