"""Which events the holder is told of (R-NOTE-1), in the words of notifications.texts."""

from __future__ import annotations

from sscard.cards.events import CardCancelled, CardExpiresSoon
from sscard.claims.events import ClaimDecided
from sscard.clock import china_date
from sscard.loss.events import LossLifted, LossReported, ReplacementReady
from sscard.notifications.service import tell
from sscard.notifications.texts import Kind, card_tail, yuan
from sscard.settlement.events import CompensationGranted
from sscard.unit import Unit


def _today(unit: Unit) -> str:
    return china_date(unit.now).isoformat()


def on_loss_reported(unit: Unit, event: LossReported) -> None:
    tell(unit, event.person_id, Kind.LOSS_REPORTED, card=card_tail(event.card_no), date=_today(unit))


def on_loss_lifted(unit: Unit, event: LossLifted) -> None:
    kind = Kind.LOSS_RELEASED if event.reason == "provisional_expired" else Kind.LOSS_LIFTED
    tell(unit, event.person_id, kind, card=card_tail(event.card_no), date=_today(unit))


def on_replacement_ready(unit: Unit, event: ReplacementReady) -> None:
    tell(
        unit,
        event.person_id,
        Kind.REPLACEMENT_READY,
        card=card_tail(event.new_card_no),
        date=event.ready_on.isoformat(),
    )


def on_card_expires_soon(unit: Unit, event: CardExpiresSoon) -> None:
    tell(unit, event.person_id, Kind.CARD_EXPIRING, card=card_tail(event.card_no), date=event.valid_until.isoformat())


def on_card_cancelled(unit: Unit, event: CardCancelled) -> None:
    tell(
        unit,
        event.person_id,
        Kind.CARD_CANCELLED,
        card=card_tail(event.card_no),
        date=_today(unit),
        amount=yuan(event.payout),
        payee=event.payee_name,
    )


def on_claim_decided(unit: Unit, event: ClaimDecided) -> None:
    if event.status == "approved":
        tell(unit, event.person_id, Kind.CLAIM_APPROVED, claim=str(event.claim_id), amount=yuan(event.approved_amount))
    elif event.status == "rejected":
        tell(unit, event.person_id, Kind.CLAIM_REJECTED, claim=str(event.claim_id), reason=event.reason or "")


def on_compensation_granted(unit: Unit, event: CompensationGranted) -> None:
    tell(unit, event.person_id, Kind.COMPENSATED, card=card_tail(event.card_no), amount=yuan(event.amount))
