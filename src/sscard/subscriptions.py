"""Who hears which event: the one place that wires the areas together.

In the transaction: the audit trail, the invalid list, the banks' events, the balance
transfer on activation, the holder's messages. After commit, through the outbox: the SMS
gateway and the banks' endpoints. The areas never import each other to say something
happened; this module, above them all, subscribes each listener to the events it needs.
"""

from __future__ import annotations

from sscard import outbox
from sscard.audit.service import record as record_audit
from sscard.banks import handlers as banks
from sscard.banks import push
from sscard.banks.service import BankEventRecorded
from sscard.cards.events import CardActivated, CardCancelled, CardChanged, CardExpiresSoon
from sscard.claims.events import ClaimDecided
from sscard.dashboard import handlers as dashboard
from sscard.events import Audited, Bus
from sscard.invalid_list import handlers as invalid_list
from sscard.invalid_list.events import ListChanged
from sscard.loss.events import LossLifted, LossReported, ReplacementApplied, ReplacementCollected, ReplacementReady
from sscard.loss.replacement import on_card_activated
from sscard.notifications import handlers as notify
from sscard.notifications import service as notifications
from sscard.notifications.service import NotificationQueued
from sscard.settlement.events import CompensationGranted, SettlementRecorded


def build_bus() -> Bus:
    """The bus of a running sscard, every subscription in place."""
    bus = Bus(enqueue=outbox.enqueue)
    bus.subscribe(Audited, record_audit)
    bus.subscribe(CardChanged, invalid_list.on_card_changed)  # R-INV-1
    bus.subscribe(CardActivated, on_card_activated)  # R-REP-6
    bus.subscribe(CardExpiresSoon, notify.on_card_expires_soon)  # R-CARD-4
    bus.subscribe(CardCancelled, banks.on_card_cancelled)  # R-CARD-5
    bus.subscribe(CardCancelled, notify.on_card_cancelled)
    bus.subscribe(LossReported, banks.on_loss_reported)  # R-LOSS-6
    bus.subscribe(LossReported, notify.on_loss_reported)  # R-NOTE-1
    bus.subscribe(LossLifted, banks.on_loss_lifted)
    bus.subscribe(LossLifted, notify.on_loss_lifted)
    bus.subscribe(ReplacementApplied, invalid_list.on_replacement_applied)
    bus.subscribe(ReplacementApplied, banks.on_replacement_applied)
    bus.subscribe(ReplacementReady, notify.on_replacement_ready)
    bus.subscribe(ReplacementCollected, banks.on_replacement_collected)
    bus.subscribe(ClaimDecided, notify.on_claim_decided)
    bus.subscribe(CompensationGranted, notify.on_compensation_granted)
    bus.subscribe(ListChanged, dashboard.on_list_changed)  # the admin's dashboard
    bus.subscribe(LossReported, dashboard.on_loss_reported)
    bus.subscribe(SettlementRecorded, dashboard.on_settlement_recorded)
    bus.subscribe(ReplacementApplied, dashboard.on_replacement_applied)
    bus.subscribe(ReplacementCollected, dashboard.on_replacement_collected)
    bus.after_commit(NotificationQueued, "sms", notifications.deliver)  # R-NOTE-1
    bus.after_commit(BankEventRecorded, "bank_push", push.deliver)  # R-NOTE-2
    return bus
