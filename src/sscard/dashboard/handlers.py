"""The dashboard's counts follow the events, in the transaction that made them."""

from __future__ import annotations

from sscard.cards.models import Card
from sscard.clock import china_date
from sscard.dashboard.counts import INVALID, LOSS, REPLACEMENT, SETTLEMENT, STANDING, bump, day_of, hour_of
from sscard.invalid_list.events import ListChanged
from sscard.loss.events import LossReported, ReplacementApplied, ReplacementCollected
from sscard.loss.models import Replacement
from sscard.settlement.events import SettlementRecorded
from sscard.unit import Unit

# A region's charges of an hour spread over this many rows, by institution, so that
# concurrent charges seldom wait for one row; the dashboard sums them back.
SHARDS = 4


def on_settlement_recorded(unit: Unit, event: SettlementRecorded) -> None:
    bump(unit.session, SETTLEMENT, hour_of(event.at), event.region, event.outcome, shard=event.institution_id % SHARDS)


def on_loss_reported(unit: Unit, event: LossReported) -> None:
    bump(unit.session, LOSS, day_of(china_date(unit.now)), event.region, event.channel)


def on_list_changed(unit: Unit, event: ListChanged) -> None:
    # R-INV-1: the list by reason, as the list itself changes.
    if event.removed is not None:
        bump(unit.session, INVALID, STANDING, event.region, event.removed, by=-1)
    if event.added is not None:
        bump(unit.session, INVALID, STANDING, event.region, event.added)


# The open replacements by ready date and the old card's region (the queue's scope).
OPEN = "open"


def on_replacement_applied(unit: Unit, event: ReplacementApplied) -> None:
    bump(unit.session, REPLACEMENT, day_of(event.ready_on), event.region, OPEN)


def on_replacement_collected(unit: Unit, event: ReplacementCollected) -> None:
    replacement = unit.session.get_one(Replacement, event.replacement_id)
    region = unit.session.get_one(Card, replacement.old_card_id).region_code
    bump(unit.session, REPLACEMENT, day_of(replacement.ready_on), region, OPEN, by=-1)
