"""Cards running out (R-CARD-4): scheduled, idempotent, safe in several processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sscard.cards.events import CardChanged, CardExpiresSoon
from sscard.cards.models import Card
from sscard.cards.states import LIVE
from sscard.cards.validity import NOTICE_DAYS, is_expired, notice_due
from sscard.clock import china_date
from sscard.unit import Unit


def list_expired_cards(unit: Unit, batch: int = 500) -> int:
    """Mark cards past their last valid day expired; the invalid list follows (R-INV-1)."""
    today = china_date(unit.now)
    due = (
        select(Card)
        .where(Card.valid_until < today, Card.expired_at.is_(None), Card.status.in_(LIVE))
        .order_by(Card.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    expired = 0
    for card in unit.session.scalars(due):
        if is_expired(card.valid_until, today):  # checked again under the lock
            card.expired_at = unit.now
            unit.publish(CardChanged(card.id, card.card_no))
            unit.audit(
                "card.expire", ("card", card.card_no), card.region_code, valid_until=card.valid_until.isoformat()
            )
            expired += 1
    return expired


def warn_expiring_cards(unit: Unit, batch: int = 500) -> int:
    """Tell each holder once, ahead of time, that their card will expire (R-NOTE-1)."""
    today = china_date(unit.now)
    due = (
        select(Card)
        .where(
            Card.valid_until <= today + timedelta(days=NOTICE_DAYS),
            Card.valid_until >= today,
            Card.expiry_notice_at.is_(None),
            Card.status.in_(LIVE),
        )
        .order_by(Card.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    told = 0
    for card in unit.session.scalars(due):
        if notice_due(card.valid_until, today):
            card.expiry_notice_at = unit.now
            unit.publish(CardExpiresSoon(card.card_no, card.person_id, card.valid_until))
            told += 1
    return told
