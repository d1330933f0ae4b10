"""Online settlement, refunds and balance inquiry (R-SET, R-CARD-3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import select

from sscard.cards.models import Card
from sscard.cards.service import verify_pin
from sscard.cards.states import CardStatus
from sscard.errors import Conflict, Declined, Forbidden, NotFound, Refused, ServiceError
from sscard.institutions.models import Institution, Terminal
from sscard.invalid_list.service import is_listed
from sscard.people.ledger import PostingKind
from sscard.people.models import Posting
from sscard.people.service import account_of, post
from sscard.roles import Role
from sscard.settlement import ecert, statements, temporary_certificate
from sscard.settlement.events import SettlementRecorded
from sscard.settlement.models import Refund, Settlement
from sscard.settlement.rules import allowed_category
from sscard.unit import Unit

SETTLEMENTS = Counter(
    "sscard_settlements_total",
    "Settlement attempts: online or offline, and approved, posted, compensated or the decline code",
    ["channel", "outcome"],
)
SETTLEMENT_LATENCY = Histogram(
    "sscard_settlement_seconds",
    "Time to settle, from request to decision",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


@dataclass(frozen=True, slots=True)
class Charge:
    """What a terminal asks to charge: with the card and PIN, an e-certificate, or the
    temporary certificate and the holder's ID number."""

    amount: int
    category: str
    card_no: str | None = None
    pin: str | None = None
    ecert_token: str | None = None
    certificate_no: str | None = None
    id_number: str | None = None
    items: list[Any] = field(default_factory=list)

    @property
    def method(self) -> str:
        """How the charge is paid, as the settlement records it."""
        if self.ecert_token is not None:
            return "ecert"
        return "card" if self.certificate_no is None else "certificate"


@dataclass(frozen=True, slots=True)
class Approved:
    """An approved charge, as the terminal is told of it."""

    id: int
    amount: int
    balance_after: int
    at: datetime
    status: str = "approved"


@dataclass(frozen=True, slots=True)
class AtTerminal:
    """What a settlement needs to know of the terminal it is made at."""

    terminal_id: str
    list_version: int | None
    institution_id: int
    designated: bool
    region_code: str


def settle(unit: Unit, charge: Charge) -> Approved:
    """Charge the personal account, or record why not (see _settle)."""
    with SETTLEMENT_LATENCY.time():
        return _settle(unit, charge)


def _settle(unit: Unit, charge: Charge) -> Approved:
    """Charge the personal account, or record why not (402 with the decline code).

    The card row and then the account row are locked, so concurrent charges queue and
    a loss report either commits before (the charge is declined) or after (the charge
    stood when it was made). The approved path writes with plain statements, not the
    ORM's unit of work: every settlement pays for each round trip and each object.
    """
    terminal = _at_terminal(unit)
    person_id: int | None = None
    try:
        person_id = _check(unit, terminal, charge)
        balance_after, slow_posting = _debit(unit, person_id, charge.amount)
    except Declined as decline:
        _record_decline(unit, _declined_record(unit, terminal, charge, person_id), decline)
        _recorded(unit, terminal, "declined")
        raise
    settlement_id = _insert_settlement(unit, terminal, charge, person_id, balance_after)
    ref = f"settlement:{settlement_id}"
    if slow_posting is None:
        _insert_posting(unit, person_id, -charge.amount, balance_after, ref)
    else:
        slow_posting.ref = ref
    SETTLEMENTS.labels("online", "approved").inc()
    _recorded(unit, terminal, "approved")
    return Approved(id=settlement_id, amount=charge.amount, balance_after=balance_after, at=unit.now)


def _recorded(unit: Unit, terminal: AtTerminal, outcome: str) -> None:
    unit.publish(SettlementRecorded(terminal.institution_id, terminal.region_code, outcome, unit.now))


def _at_terminal(unit: Unit) -> AtTerminal:
    row = statements.TERMINAL.first(unit.session, {"terminal_id": unit.actor.subject})
    if row is None:
        raise Forbidden("this terminal is not registered")
    return AtTerminal(*row)


def _terminal(unit: Unit) -> tuple[Terminal, Institution]:
    row = unit.session.execute(
        select(Terminal, Institution).join(Institution).where(Terminal.terminal_id == unit.actor.subject)
    ).one_or_none()
    if row is None:
        raise Forbidden("this terminal is not registered")
    return row.Terminal, row.Institution


def _debit(unit: Unit, person_id: int, amount: int) -> tuple[int, Posting | None]:
    """Take `amount` from the account: the balance after, and the posting when the
    ledger's own path (people.service.post) made it.

    One UPDATE … RETURNING does what post() does with a locked read and an UPDATE: it
    takes the same row lock, and PostgreSQL re-checks its condition on the newest row,
    so concurrent debits queue and none overdraws (R-ACC-1). When it matches nothing,
    post() decides under the lock: the decline with its balance, or the debit after all
    if a credit landed in between.
    """
    params = {"person": person_id, "debit": amount, "now": unit.now}
    after = statements.DEBIT.first(unit.session, params)
    if after is not None:
        return int(after.balance), None
    posting = post(unit, person_id, -amount, PostingKind.SETTLEMENT)
    return posting.balance_after, posting


def _insert_settlement(unit: Unit, terminal: AtTerminal, charge: Charge, person_id: int, balance_after: int) -> int:
    values = _settlement_values(unit, terminal, charge) | {
        "person_id": person_id,
        "status": "approved",
        "code": None,
        "local_id": None,
        "balance_after": balance_after,
        "refunded": 0,
    }
    return int(statements.INSERT_SETTLEMENT.rows(unit.session, values)[0].id)


def _insert_posting(unit: Unit, person_id: int, amount: int, balance_after: int, ref: str) -> None:
    values = {
        "person_id": person_id,
        "amount": amount,
        "balance_after": balance_after,
        "kind": PostingKind.SETTLEMENT.value,
        "ref": ref,
        "memo": None,
        "at": unit.now,
    }
    statements.INSERT_POSTING.rows(unit.session, values)


def _settlement_values(unit: Unit, terminal: AtTerminal, charge: Charge) -> dict[str, Any]:
    return {
        "institution_id": terminal.institution_id,
        "terminal_id": terminal.terminal_id,
        "amount": charge.amount,
        "category": charge.category,
        "items": charge.items,
        "method": charge.method,
        "card_no": charge.card_no,
        "certificate_no": charge.certificate_no,
        "list_version": terminal.list_version,
        "at": unit.now,
        "occurred_at": unit.now,
    }


def _declined_record(unit: Unit, terminal: AtTerminal, charge: Charge, person_id: int | None) -> Settlement:
    return Settlement(**_settlement_values(unit, terminal, charge), person_id=person_id, status="declined")


def _check(unit: Unit, terminal: AtTerminal, charge: Charge) -> int:
    """The person to charge, once every rule allows it; raises Declined."""
    if not terminal.designated:
        raise Declined("institution_not_designated", "only designated institutions settle (R-SET-1)")
    if allowed_category(charge.category) is None:
        raise Declined("category_not_allowed", f"{charge.category!r} is not a medical item (R-SET-1)")
    if charge.ecert_token is not None:
        return ecert.redeem(unit, charge.ecert_token)
    if charge.certificate_no is not None:
        return temporary_certificate.redeem(
            unit, terminal.institution_id, charge.certificate_no, charge.id_number or ""
        )
    return _card_holder(unit, charge.card_no or "", charge.pin or "")


def _card_holder(unit: Unit, card_no: str, pin: str) -> int:
    """The holder of a usable card whose PIN is right; raises Declined.

    The plain case reads the locked row's few columns; any other (a card not found,
    listed, not active, PIN locked, a wrong PIN, failures to clear) decides through
    the ORM under the lock already held, as every decline did before.
    """
    plain = statements.CARD_AT_TERMINAL.first(unit.session, {"card_no": card_no})
    # R-SET-2: the list is read after the lock (see statements.CARD).
    if plain is not None and not is_listed(unit.session, card_no) and _plain(unit, plain, card_no, pin):
        return int(plain.person_id)
    card = _usable_card(unit, card_no)
    _verify_pin_at_terminal(unit, card, pin)
    return card.person_id


def _plain(unit: Unit, card: Any, card_no: str, pin: str) -> bool:
    """An active, unlocked card with no failed tries and this PIN (R-CARD-3)."""
    usable = card.status == CardStatus.ACTIVE and card.pin_locked_at is None and not card.pin_failures
    return usable and unit.runtime.pins.verify(card_no, pin, card.pin_hash)


def _verify_pin_at_terminal(unit: Unit, card: Card, pin: str) -> None:
    """At a terminal a PIN refusal is a decline (402) like the others, and a wrong PIN
    still counts toward the lock."""
    try:
        verify_pin(unit, card, pin)
    except Refused as refusal:
        decline = Declined(refusal.code, refusal.detail, **refusal.extra)
        decline.keep_changes = refusal.keep_changes
        raise decline from refusal


def _usable_card(unit: Unit, card_no: str) -> Card:
    return _usable(unit, unit.session.scalars(statements.CARD, {"card_no": card_no}).one_or_none(), card_no)


def _usable(unit: Unit, card: Card | None, card_no: str) -> Card:
    if card is None or is_listed(unit.session, card_no):
        raise Declined("card_invalid", "the card is on the invalid list (R-SET-2)")
    if card.status != CardStatus.ACTIVE:
        raise Declined("card_not_active", f"the card is {card.status}")
    if card.pin_locked_at is not None:
        raise Declined("pin_locked", "the PIN is locked; unlock it at an outlet or the bank")
    return card


def _record_decline(unit: Unit, record: Settlement, refusal: ServiceError) -> None:
    # A decline is recorded, and a wrong PIN counted, even though the request fails.
    record.code = refusal.code
    unit.session.add(record)
    unit.session.flush()
    refusal.keep_changes = True
    SETTLEMENTS.labels("online", refusal.code).inc()


def refund(unit: Unit, settlement_id: int, amount: int | None) -> Refund:
    """Give back all or part of an approved settlement, never more than charged."""
    record = unit.session.scalars(
        select(Settlement).where(Settlement.id == settlement_id).with_for_update()
    ).one_or_none()
    _, institution = _terminal(unit)
    if record is None or record.institution_id != institution.id:
        raise NotFound(f"no settlement {settlement_id} at this institution")
    # An offline charge the holder bore ("posted") was money taken like any other.
    if record.status not in ("approved", "posted") or record.person_id is None:
        raise Conflict("not_refundable", "only an approved settlement can be refunded")
    amount = record.amount - record.refunded if amount is None else amount
    if not 0 < amount <= record.amount - record.refunded:
        raise Conflict(
            "refund_exceeds_charge",
            f"at most {record.amount - record.refunded} fen can still be refunded",
            refundable=record.amount - record.refunded,
        )
    posting = post(unit, record.person_id, amount, PostingKind.REFUND, ref=f"settlement:{record.id}")
    record.refunded += amount
    row = Refund(settlement_id=record.id, amount=amount, at=unit.now, balance_after=posting.balance_after)
    unit.session.add(row)
    unit.session.flush()
    return row


def balance_inquiry(unit: Unit, card_no: str, pin: str) -> tuple[int, int]:
    """R-SET-4: the balance and the held part, against the card's PIN."""
    if unit.actor.role is Role.TERMINAL and not _at_terminal(unit).designated:
        # R-SEC-1: a terminal that may not settle may not try PINs or read balances either.
        raise Declined("institution_not_designated", "only designated institutions check PINs and balances")
    card = unit.session.scalars(statements.CARD, {"card_no": card_no}).one_or_none()
    if card is not None:  # R-SEC-1: out of scope, neither the card's state nor its PIN is told
        unit.actor.require_bank(card.bank, card.region_code)
    card = _usable(unit, card, card_no)
    _verify_pin_at_terminal(unit, card, pin)
    account = account_of(unit, card.person_id)
    return account.balance, account.held
