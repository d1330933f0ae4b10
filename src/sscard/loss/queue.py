"""The outlet's replacement queue, and the open replacement a card read names."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select

from sscard.cards.models import Card
from sscard.clock import china_date
from sscard.loss.models import Replacement
from sscard.people.models import Person
from sscard.policy.regions import scope_prefix
from sscard.roles import Principal, Role
from sscard.unit import Unit

QueueRow = tuple[Replacement, Card, Person]


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """Where a page of the queue ends: the last replacement's application instant and id."""

    applied_at: datetime
    replacement_id: int

    def token(self) -> str:
        """The opaque `next` cursor."""
        raw = f"{self.applied_at.isoformat()}|{self.replacement_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> QueuePosition:
        """Read a cursor back; raises ValueError for anything this did not make."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at, _, replacement_id = raw.partition("|")
            position = cls(datetime.fromisoformat(at), int(replacement_id))
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("not a cursor of this queue") from exc
        if position.applied_at.tzinfo is None:
            raise ValueError("not a cursor of this queue")
        return position


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """What a clerk asks of the queue: a status (or all), a region inside their scope."""

    status: str | None
    region: str | None
    after: QueuePosition | None
    limit: int


def queue(unit: Unit, query: QueueQuery) -> tuple[Sequence[QueueRow], QueuePosition | None]:
    """A page of the queue, oldest application first, and where the next page starts."""
    region = query.region or unit.actor.region
    unit.actor.require_region(region)
    stmt = queue_statement(unit.actor, region, query, china_date(unit.now))
    rows = [(r, c, p) for r, c, p in unit.session.execute(stmt)]
    page = rows[: query.limit]
    last = page[-1][0] if len(rows) > query.limit else None
    return page, (QueuePosition(last.applied_at, last.id) if last else None)


def queue_statement(actor: Principal, region: str, query: QueueQuery, today: date) -> Select[Replacement, Card, Person]:
    """The SELECT of one page of the queue (and one row more)."""
    stmt = (
        select(Replacement, Card, Person)
        .join(Card, Card.id == Replacement.old_card_id)
        .join(Person, Person.id == Replacement.person_id)
    )
    if prefix := scope_prefix(region):
        stmt = stmt.where(Card.region_code.startswith(prefix, autoescape=True))
    if actor.role is Role.BANK:  # a bank sees the replacements of its own cards, old or new
        stmt = stmt.where(or_(Card.bank == actor.bank, Replacement.new_bank == actor.bank))
    if query.status is not None:
        stmt = stmt.where(in_status(query.status, today))
    if query.after is not None:
        stmt = stmt.where(_after(query.after))
    return stmt.order_by(Replacement.applied_at, Replacement.id).limit(query.limit + 1)


def in_status(status: str, today: date) -> ColumnElement[bool]:
    """The replacements in a status, derived as loss.rules.replacement_status does (R-REP-3)."""
    if status == "collected":
        return Replacement.collected_at.is_not(None)
    open_ = Replacement.collected_at.is_(None)
    return open_ & (Replacement.ready_on <= today if status == "ready" else Replacement.ready_on > today)


def _after(position: QueuePosition) -> ColumnElement[bool]:
    at, last_id = position.applied_at, position.replacement_id
    return or_(Replacement.applied_at > at, and_(Replacement.applied_at == at, Replacement.id > last_id))


def open_replacement_of(unit: Unit, card: Card) -> Replacement | None:
    """The replacement applied for this card and not yet collected, if any."""
    stmt = select(Replacement).where(Replacement.old_card_id == card.id, Replacement.collected_at.is_(None))
    return unit.session.scalars(stmt).one_or_none()
