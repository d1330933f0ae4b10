"""The holder's messages and their delivery (API.md, R-NOTE-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from sscard.cards.routes import STAFF_OR_SELF
from sscard.notifications import service
from sscard.notifications.models import Notification
from sscard.schemas import Out
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["notifications"])


class NotificationRead(Out):
    notification_id: int
    kind: str = Field(description="what happened: loss_reported, replacement_ready, card_expiring, …")
    language: str
    to: str | None = Field(description="the phone it goes to; null when none was on file")
    text: str
    state: str = Field(description="queued (waiting for the gateway), sent, or no_phone")
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


class NotificationPage(Out):
    items: list[NotificationRead]
    next: str | None = Field(description="pass as ?cursor= for the next page; null at the end")


@router.get("/persons/{person_id}/notifications")
def notifications(
    person_id: int,
    unit: Annotated[Unit, Depends(STAFF_OR_SELF)],
    cursor: Annotated[int | None, Query(ge=1, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationPage:
    """The holder's messages, newest first, with their delivery state."""
    page, after = service.notifications_page(unit, person_id, cursor, limit)
    return NotificationPage(items=[_read(n) for n in page], next=str(after) if after is not None else None)


def _read(note: Notification) -> NotificationRead:
    return NotificationRead(
        notification_id=note.id,
        kind=note.kind,
        language=note.language,
        to=note.phone,
        text=note.text,
        state=note.state,
        created_at=note.created_at,
        sent_at=note.sent_at,
        attempts=note.attempts,
        last_error=note.last_error,
    )
