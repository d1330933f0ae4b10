"""The medical insurance electronic certificate (R-SET-3): a short-lived QR token."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from sscard.errors import Declined
from sscard.people.service import find_person
from sscard.settlement.models import ECertificate
from sscard.unit import Unit


def issue(unit: Unit, person_id: int) -> ECertificate:
    """A new single-use token for the holder, valid `ecert_valid_seconds`."""
    person = find_person(unit, person_id)
    valid = timedelta(seconds=unit.policy(person.region_code).ecert_valid_seconds)
    # 128 random bits: the token is the credential, so it must not be guessable.
    certificate = ECertificate(
        id=secrets.token_urlsafe(16), person_id=person.id, issued_at=unit.now, expires_at=unit.now + valid
    )
    unit.session.add(certificate)
    unit.session.flush()
    unit.audit("ecert.issue", ("person", person.id), person.region_code)
    return certificate


def redeem(unit: Unit, token: str) -> int:
    """Use a token once; the person it stands for. 402 ecert_expired otherwise."""
    stmt = select(ECertificate).where(ECertificate.id == token).with_for_update()
    certificate = unit.session.scalars(stmt).one_or_none() if 0 < len(token) <= 64 else None
    if certificate is None or certificate.used_at is not None or certificate.expires_at <= unit.now:
        raise Declined("ecert_expired", "the electronic certificate has expired or was already used; show a new one")
    certificate.used_at = unit.now
    return certificate.person_id
