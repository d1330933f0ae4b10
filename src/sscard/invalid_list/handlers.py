"""The invalid list follows the cards, in the transaction that changes them (R-INV-1)."""

from __future__ import annotations

from sscard.cards.events import CardChanged
from sscard.cards.models import Card
from sscard.invalid_list.service import sync_card
from sscard.loss.events import ReplacementApplied
from sscard.unit import Unit


def on_card_changed(unit: Unit, event: CardChanged) -> None:
    sync_card(unit, unit.session.get_one(Card, event.card_id))


def on_replacement_applied(unit: Unit, event: ReplacementApplied) -> None:
    # A damaged, demagnetised or expired card is invalid from the application on.
    sync_card(unit, unit.session.get_one(Card, event.card_id))
