"""Cancelling a card (R-CARD-5): reasons, documents and who is paid: pure."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class CancellationReason(StrEnum):
    DEATH = "death"
    EMIGRATION = "emigration"
    DUPLICATE = "duplicate"
    REQUEST = "request"


class PayeeRelation(StrEnum):
    SELF = "self"
    HEIR = "heir"


# Documents, named as the clerk ticks them off (one of each tuple is enough).
RESIDENT_ID_CARD = "resident_id_card"
HOUSEHOLD_REGISTER = "household_register"
DEATH_CERTIFICATE = "death_certificate"
HEIR_ID_CARD = "heir_id_card"
INHERITANCE_PROOF = "inheritance_proof"
EMIGRATION_CERTIFICATE = "emigration_certificate"
DUPLICATE_REGISTRATION_RECORD = "duplicate_registration_record"

_HOLDER = (RESIDENT_ID_CARD, HOUSEHOLD_REGISTER)
REQUIREMENTS: dict[CancellationReason, list[tuple[str, ...]]] = {
    # The heir proves the death, who they are, and that the money is theirs.
    CancellationReason.DEATH: [(DEATH_CERTIFICATE,), (HEIR_ID_CARD,), (INHERITANCE_PROOF,)],
    CancellationReason.EMIGRATION: [_HOLDER, (EMIGRATION_CERTIFICATE,)],
    CancellationReason.DUPLICATE: [_HOLDER, (DUPLICATE_REGISTRATION_RECORD,)],
    CancellationReason.REQUEST: [_HOLDER],
}
DOCUMENTS = frozenset(name for reqs in REQUIREMENTS.values() for req in reqs for name in req)


def missing_documents(reason: CancellationReason, given: Collection[str]) -> list[str]:
    """The requirements not met, each named by its first document."""
    return [req[0] for req in REQUIREMENTS[reason] if not set(req) & set(given)]


def payee_relation(reason: CancellationReason) -> PayeeRelation:
    """Who receives the balance: the heir after a death, the holder otherwise — never lost."""
    return PayeeRelation.HEIR if reason is CancellationReason.DEATH else PayeeRelation.SELF
