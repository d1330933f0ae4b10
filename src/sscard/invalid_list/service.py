"""Keeping the invalid list in step with the cards, and reading it (R-INV)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from sscard.cards.models import Card
from sscard.cards.states import CardStatus
from sscard.errors import ServiceError
from sscard.hot_path import HotStatement
from sscard.invalid_list.events import ListChanged
from sscard.invalid_list.models import InvalidCard, ListChange, ListCounter
from sscard.invalid_list.rules import ListReason, Op, change_for, listing
from sscard.loss.queue import open_replacement_of
from sscard.policy.regions import scope_prefix
from sscard.unit import Unit

NOTIFY_CHANNEL = "sscard_invalid_list"
# Session.info key: the changes this transaction appended, announced after it commits.
PENDING_CHANGES = "sscard.invalid_list.changes"


class SnapshotRequired(ServiceError):
    status, code, title = 410, "snapshot_required", "Snapshot required"


def sync_card(unit: Unit, card: Card) -> ListChange | None:
    """Bring the card's list entry in line with its state, in the same transaction,
    appending the change terminals will follow (R-INV-1, R-INV-3)."""
    entry = unit.session.get(InvalidCard, card.card_no)
    replacement = open_replacement_of(unit, card)
    reason = replacement.reason if replacement is not None else None
    wanted = listing(CardStatus(card.status), reason, expired=card.expired_at is not None)
    change = change_for(ListReason(entry.reason) if entry else None, wanted)
    if change is None:
        return None
    op, reason = change
    version = _next_version(unit.session)
    was = entry.reason if entry else None
    if op is Op.REMOVE:
        unit.session.delete(entry)
    elif entry is None:
        unit.session.add(
            InvalidCard(
                card_no=card.card_no,
                card_id=card.id,
                region_code=card.region_code,
                reason=reason,
                since=unit.now,
                version=version,
            )
        )
    else:
        entry.reason, entry.version = str(reason), version
    logged = ListChange(
        version=version, card_no=card.card_no, op=op.value, reason=reason, at=unit.now, region_code=card.region_code
    )
    unit.session.add(logged)
    unit.session.flush()
    unit.session.info.setdefault(PENDING_CHANGES, []).append(logged)
    added = None if op is Op.REMOVE else str(reason)
    unit.publish(ListChanged(card.card_no, card.region_code, was, added, version))
    if unit.session.get_bind().dialect.name == "postgresql":
        # Delivered to every listening process when, and only if, this commits.
        unit.session.execute(select(func.pg_notify(NOTIFY_CHANNEL, str(version))))
    return logged


def _next_version(session: Session) -> int:
    counter = session.scalars(select(ListCounter).where(ListCounter.id == 1).with_for_update()).one()
    counter.version += 1
    return counter.version


def current_version(session: Session) -> int:
    """The newest committed version (every change up to it is committed too)."""
    return session.scalars(select(ListCounter.version).where(ListCounter.id == 1)).one()


def _in_scope(stmt: Select[InvalidCard], scope: str) -> Select[InvalidCard]:
    prefix = scope_prefix(scope)
    return stmt.where(InvalidCard.region_code.startswith(prefix, autoescape=True)) if prefix else stmt


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every invalid card of a scope, as of `version` or later (R-INV-3).

    The version is read before the cards: changes after it may already show, and a
    terminal that applies the changes since `version` on top lands on the same state,
    because applying a change twice changes nothing.
    """

    version: int
    scope: str
    cards: Sequence[InvalidCard]


def snapshot(session: Session, scope: str) -> Snapshot:
    """The whole list of a scope."""
    version = current_version(session)
    cards = session.scalars(_in_scope(select(InvalidCard), scope).order_by(InvalidCard.card_no)).all()
    return Snapshot(version=version, scope=scope, cards=cards)


def changes_since(session: Session, since: int, scope: str, limit: int) -> tuple[int, Sequence[ListChange]]:
    """Changes after `since` in a scope, oldest first, and the version they reach.

    410 snapshot_required when `since` is older than the log still kept, or newer
    than any version handed out (the terminal's copy cannot be trusted either way).
    """
    version = current_version(session)
    if since > version:
        raise SnapshotRequired(f"version {since} cannot be followed; download a snapshot", current_version=version)
    stmt = select(ListChange).where(ListChange.version > since, ListChange.version <= version)
    prefix = scope_prefix(scope)
    if prefix:
        stmt = stmt.where(ListChange.region_code.startswith(prefix, autoescape=True))
    rows = session.scalars(stmt.order_by(ListChange.version).limit(limit)).all()
    # Asked after the rows (each read may see a newer state): the log is trimmed from
    # its oldest end only, so if nothing after `since` is gone now, none of it was gone
    # when the rows were read (invalid_list.retention).
    oldest = session.scalar(select(func.min(ListChange.version))) or version + 1
    if since < oldest - 1:
        raise SnapshotRequired(f"version {since} cannot be followed; download a snapshot", current_version=version)
    reached = rows[-1].version if len(rows) == limit else version
    return reached, rows


# Built once: every online settlement asks (R-SET-2).
_LISTED = HotStatement(select(InvalidCard.card_no).where(InvalidCard.card_no == bindparam("card_no")))


def is_listed(session: Session, card_no: str) -> bool:
    """Whether the card is on the list now: one indexed read, no object loaded."""
    return _LISTED.first(session, {"card_no": card_no}) is not None


def entry_of(session: Session, card_no: str) -> InvalidCard | None:
    """The card's list entry, if it is on the list."""
    return session.get(InvalidCard, card_no)
