"""The bank hears of its cards' losses, lifts, replacements and cancellations (R-LOSS-6),
in the transaction that makes them."""

from __future__ import annotations

from sscard.banks.service import notify_bank
from sscard.cards.events import CardCancelled
from sscard.loss.events import LossLifted, LossReported, ReplacementApplied, ReplacementCollected
from sscard.unit import Unit


def on_loss_reported(unit: Unit, event: LossReported) -> None:
    notify_bank(unit, event.bank, "loss", event.card_no, report_kind=event.kind, report_id=event.report_id)


def on_loss_lifted(unit: Unit, event: LossLifted) -> None:
    notify_bank(unit, event.bank, "lift", event.card_no, reason=event.reason)


def on_replacement_applied(unit: Unit, event: ReplacementApplied) -> None:
    notify_bank(
        unit,
        event.bank,
        "replacement",
        event.card_no,
        step="applied",
        new_card_no=event.new_card_no,
        new_bank=event.new_bank,
        reason=event.reason,
    )
    if event.new_bank != event.bank:
        notify_bank(
            unit, event.new_bank, "replacement", event.new_card_no, step="applied", replacement_for=event.card_no
        )


def on_replacement_collected(unit: Unit, event: ReplacementCollected) -> None:
    notify_bank(unit, event.bank, "replacement", event.card_no, step="collected", new_card_no=event.new_card_no)
    if event.new_bank != event.bank:
        notify_bank(
            unit, event.new_bank, "replacement", event.new_card_no, step="collected", replacement_for=event.card_no
        )


def on_card_cancelled(unit: Unit, event: CardCancelled) -> None:
    notify_bank(unit, event.bank, "cancellation", event.card_no, reason=event.reason)
