"""The person: their cards with what may be done to each, account and postings
(newest first, a page at a time), claims, and transfers across banks waiting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from sscard.cards.models import Card
from sscard.cards.service import cards_of
from sscard.cards.states import FINAL, CardStatus
from sscard.claims import service as claims_service
from sscard.claims.rules import UNDECIDED, may_decide
from sscard.loss import replacement
from sscard.loss.models import Replacement
from sscard.people.service import account_of, find_person, postings_page
from sscard.roles import Role
from sscard.unit import Unit
from sscard.web.counter.common import Counter, page, shown_id_number
from sscard.web.pages import FormErrors

router = APIRouter(prefix="/counter")

POSTINGS_PER_PAGE = 20
LOSS_REPORTABLE = frozenset({CardStatus.UNACTIVATED, CardStatus.ACTIVE, CardStatus.PROVISIONAL_LOSS})
LIFTABLE = frozenset({CardStatus.PROVISIONAL_LOSS, CardStatus.LOST})
OUTLET = frozenset({Role.CLERK, Role.BANK})


def _card_view(unit: Unit, card: Card, replacement_of_card: Replacement | None) -> dict[str, Any]:
    status = CardStatus(card.status)
    role = unit.actor.role
    has_any = replacement_of_card is not None
    collected = replacement_of_card is not None and replacement_of_card.collected_at is not None
    still_open = None if collected else replacement_of_card
    return {
        "card_no": card.card_no,
        "status": status.value,
        "bank": card.bank,
        "pin_locked": card.pin_locked_at is not None,
        "replacement": still_open,
        "transfer": _transfer_waiting(card, replacement_of_card),
        "can_report": status in LOSS_REPORTABLE,
        "can_lift": status in LIFTABLE and not has_any and role in OUTLET,
        "can_replace": status in replacement.REPLACEABLE and not has_any and role in OUTLET,
        "can_activate": status is CardStatus.UNACTIVATED and role in OUTLET,
        # R-CARD-3: a locked PIN is unlocked at an outlet or the card's bank.
        "can_unlock": card.pin_locked_at is not None and status not in FINAL and role in OUTLET,
        # R-CARD-5: only a clerk cancels, and not while a new card is being made for it.
        "can_cancel": status not in FINAL and not has_any and role is Role.CLERK,
    }


def _transfer_waiting(card: Card, replacement_of_card: Replacement | None) -> Replacement | None:
    """A replacement of this card at another bank whose balance has not moved yet (R-REP-6)."""
    if replacement_of_card is None or replacement_of_card.new_bank == card.bank:
        return None
    return replacement_of_card if replacement_of_card.transferred_at is None else None


def _replacements_by_old_card(unit: Unit, person_id: int) -> dict[int, Replacement]:
    """Every replacement of the person's cards in one query (a card is replaced at most once),
    so the page costs the same few queries however many cards the person has had."""
    rows = unit.session.scalars(select(Replacement).where(Replacement.person_id == person_id))
    return {row.old_card_id: row for row in rows}


def _claims_view(unit: Unit, person_id: int) -> list[dict[str, Any]] | None:
    """The person's claims, newest first, and whether the caller may decide each (R-SEC-4);
    None for a role that does not see claims."""
    if unit.actor.role is not Role.CLERK:
        return None
    found = claims_service.list_claims(unit, claims_service.ClaimQuery(person_id=person_id, limit=20))
    subject = unit.actor.subject
    return [
        {
            "claim": c,
            "can_decide": c.status in UNDECIDED
            and may_decide(subject, filed_by=c.submitted_by, first_approver=c.first_approved_by),
        }
        for c in found
    ]


def person_view(unit: Unit, person_id: int, before: int | None = None) -> dict[str, Any]:
    """Everything the person page shows, postings from the cursor `before` on."""
    person = find_person(unit, person_id)
    account = account_of(unit, person.id)
    postings, next_before = postings_page(unit, person.id, before, POSTINGS_PER_PAGE)
    replaced = _replacements_by_old_card(unit, person.id)
    return {
        "person": person,
        "id_number": shown_id_number(unit, person),
        "balance": account.balance,
        "held": account.held,
        "postings": list(postings),
        "postings_next": next_before,
        "postings_paged": before is not None,
        "cards": [_card_view(unit, c, replaced.get(c.id)) for c in cards_of(unit, person.id)],
        "claims": _claims_view(unit, person.id),
        "role": unit.actor.role.value,
    }


@router.get("/persons/{person_id}")
def person_page(
    request: Request, caller: Counter, person_id: int, before: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    """The person, their cards and account, and the actions the caller may take."""
    return page(request, caller, "person.html", lambda unit: person_view(unit, person_id, before))


def person_again(request: Request, caller: Counter, person_id: int, errors: FormErrors, status: int) -> Response:
    """The person page again with a refusal of one of its buttons in the summary."""
    return page(request, caller, "person.html", lambda unit: person_view(unit, person_id), errors=errors, status=status)
