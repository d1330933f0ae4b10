"""The temporary certificate (R-SET-5): while the new card is being made, the card
collection certificate of the replacement (R-REP-4) settles like the card, with the
holder's resident ID number instead of a PIN."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from sscard.cards.models import Card
from sscard.cards.states import CardStatus
from sscard.clock import china_date
from sscard.errors import Declined
from sscard.institutions.models import Institution
from sscard.loss.models import Replacement
from sscard.people.models import Person
from sscard.settlement.rules import certificate_valid_on, in_issuing_city
from sscard.unit import Unit

INVALID = "the certificate is not valid: check its number and the holder's ID number"


@dataclass(frozen=True, slots=True)
class Certificate:
    """What settling needs to know of a collection certificate."""

    person_id: int
    holder_id_number: str
    last_valid_day: date
    issuing_region: str
    collected: bool
    card_status: str


# The replacement row is locked, as collect() locks it first: a collection commits
# either before the charge (which is then declined) or after it.
_CERTIFICATE = (
    select(
        Replacement.person_id,
        Person.id_number,
        Replacement.certificate_valid_until,
        Card.region_code,
        Replacement.collected_at.is_not(None),
        Card.status,
    )
    .join(Card, Card.id == Replacement.old_card_id)
    .join(Person, Person.id == Replacement.person_id)
    .with_for_update(of=Replacement)
)


def redeem(unit: Unit, institution_id: int, certificate_no: str, id_number: str) -> int:
    """The person the certificate stands for, once R-SET-5 allows it; raises Declined.

    The old card is on the invalid list (R-SET-2) and the new one not yet in hand: the
    certificate stands in for both, so neither card's state is asked here.
    """
    certificate = _certificate(unit, certificate_no.strip())
    if certificate is None or not _presented_by_holder(certificate, id_number):
        # One code for every reason, so a terminal learns nothing of whose it is.
        raise Declined("certificate_invalid", INVALID)
    if not certificate_valid_on(certificate.last_valid_day, china_date(unit.now)):
        raise Declined("certificate_expired", f"the certificate was valid until {certificate.last_valid_day}")
    if not in_issuing_city(certificate.issuing_region, _region_of(unit, institution_id)):
        raise Declined("outside_issuing_region", "the certificate settles only in the city that issued it")
    return certificate.person_id


def _certificate(unit: Unit, certificate_no: str) -> Certificate | None:
    stmt = _CERTIFICATE.where(Replacement.collection_certificate_no == certificate_no)
    row = unit.session.execute(stmt).one_or_none()
    return None if row is None else Certificate(*row)


def _presented_by_holder(certificate: Certificate, id_number: str) -> bool:
    # R-SET-5: never after the new card is collected; R-CARD-5: a cancelled card's
    # account settles nothing more.
    if certificate.collected or certificate.card_status == CardStatus.CANCELLED:
        return False
    return hmac.compare_digest(id_number.strip().upper().encode(), certificate.holder_id_number.encode())


def _region_of(unit: Unit, institution_id: int) -> str:
    return unit.session.scalars(select(Institution.region_code).where(Institution.id == institution_id)).one()
