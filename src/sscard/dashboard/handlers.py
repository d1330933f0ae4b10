"""The dashboard's counts follow the events, in the transaction that made them."""

from __future__ import annotations

from sscard.dashboard.counts import INVALID, LOSS, SETTLEMENT, STANDING, bump, hour_of
from sscard.invalid_list.events import ListChanged
from sscard.loss.events import LossReported
from sscard.settlement.events import SettlementRecorded
from sscard.unit import Unit


def on_settlement_recorded(unit: Unit, event: SettlementRecorded) -> None:
    bump(unit.session, SETTLEMENT, hour_of(event.at), event.region, event.outcome, shard=event.institution_id)


def on_loss_reported(unit: Unit, event: LossReported) -> None:
    bump(unit.session, LOSS, hour_of(unit.now), event.region, event.channel)


def on_list_changed(unit: Unit, event: ListChanged) -> None:
    # R-INV-1: the list by reason, as the list itself changes.
    if event.removed is not None:
        bump(unit.session, INVALID, STANDING, event.region, event.removed, by=-1)
    if event.added is not None:
        bump(unit.session, INVALID, STANDING, event.region, event.added)
