"""Roles and the principal a request acts as (API.md "Roles")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sscard.errors import Forbidden, OutOfRegion
from sscard.policy.regions import NATIONAL, covers


class Role(StrEnum):
    ADMIN = "admin"
    CLERK = "clerk"
    OPERATOR = "operator"
    BANK = "bank"
    TERMINAL = "terminal"
    AUDITOR = "auditor"
    CARDHOLDER = "cardholder"


STAFF = frozenset({Role.ADMIN, Role.CLERK, Role.OPERATOR, Role.BANK, Role.AUDITOR})
# Roles that see resident ID numbers in full within their scope (API.md Conventions).
SEES_FULL_ID_NUMBER = frozenset({Role.ADMIN, Role.CLERK})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as, from a verified token."""

    subject: str
    role: Role
    region: str = NATIONAL
    person_id: int | None = None
    bank: str | None = None
    institution_id: int | None = None
    # The generation of the login (or terminal) when the token was issued (R-SEC-2).
    generation: int | None = None

    @property
    def grant_key(self) -> str:
        """The login or terminal whose grant the token stands on (R-SEC-2); a terminal's
        key cannot be a username, which has no `/`."""
        return f"terminal/{self.subject}" if self.role is Role.TERMINAL else self.subject

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    def require_region(self, region: str) -> None:
        """Refuse unless the staff scope covers the region."""
        if not covers(self.region, region):
            raise OutOfRegion(f"region {region} is outside your scope {self.region}")

    def require_person(self, person_id: int, region: str) -> None:
        """Staff in scope, or the cardholder who is that person."""
        if self.role is Role.CARDHOLDER:
            if self.person_id != person_id:
                raise Forbidden("a cardholder acts only on their own person")
            return
        if not self.is_staff:
            raise Forbidden(f"the {self.role} role cannot act on persons")
        self.require_region(region)

    def require_bank(self, bank: str, region: str | None = None) -> None:
        """A bank user acts only on its own bank's cards, and (given the card's region)
        only in its region (R-SEC-1)."""
        if self.role is not Role.BANK:
            return
        if self.bank != bank:
            raise Forbidden(f"the card is held at {bank}, not at {self.bank}")
        if region is not None:
            self.require_region(region)

    def sees_full_id_number(self) -> bool:
        return self.role in SEES_FULL_ID_NUMBER
