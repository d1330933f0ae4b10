"""Queuing messages in the change's transaction, sending them after it (R-NOTE-1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from sscard.db import newest_first, transaction
from sscard.events import Event
from sscard.notifications.models import Notification
from sscard.notifications.sms import Sms
from sscard.notifications.texts import Kind, language_of, render
from sscard.people.models import Person
from sscard.people.service import find_person
from sscard.unit import Unit

if TYPE_CHECKING:
    from sscard.outbox import Delivered
    from sscard.runtime import Runtime


@dataclass(frozen=True, slots=True)
class NotificationQueued(Event):
    """A message waits for the gateway: sent once this transaction commits."""

    notification_id: int


def tell(unit: Unit, person_id: int, kind: Kind, **values: str) -> Notification:
    """Queue a message to the holder in their language, in this transaction."""
    person = unit.session.get_one(Person, person_id)
    language = language_of(person.language)
    note = Notification(
        person_id=person.id,
        kind=kind.value,
        language=language.value,
        phone=person.phone,
        text=render(kind, language, **values),
        state="queued" if person.phone else "no_phone",
        created_at=unit.now,
        attempts=0,
    )
    unit.session.add(note)
    unit.session.flush()
    if person.phone:
        unit.publish(NotificationQueued(note.id))
    return note


def deliver(rt: Runtime, delivered: Delivered) -> None:
    """The outbox's delivery: hand the message to the gateway, then mark it sent."""
    event: NotificationQueued = delivered.event
    with rt.sessions() as session:
        note = session.get_one(Notification, event.notification_id)
        phone, text = note.phone, note.text
    assert phone is not None
    try:
        rt.sms.send(Sms(to=phone, text=text, key=delivered.key))
    except Exception as exc:
        _record(rt, event.notification_id, error=f"{type(exc).__name__}: {exc}")
        raise
    _record(rt, event.notification_id, error=None)


def _record(rt: Runtime, notification_id: int, *, error: str | None) -> None:
    with transaction(rt.sessions) as session:
        note = session.get_one(Notification, notification_id)
        note.attempts += 1
        if error is None:
            note.state, note.sent_at, note.last_error = "sent", rt.clock.now(), None
        else:
            note.last_error = error[:500]


def notifications_page(
    unit: Unit, person_id: int, before: int | None, limit: int
) -> tuple[Sequence[Notification], int | None]:
    """A holder's messages newest first, and the cursor for the next page."""
    person = find_person(unit, person_id)
    stmt = select(Notification).where(Notification.person_id == person.id)
    return newest_first(unit.session, stmt, Notification.id, before, limit)
