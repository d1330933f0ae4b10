"""Users, sign-in and the bootstrap admin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sscard.auth import signin_counts, throttle
from sscard.auth.models import User
from sscard.auth.passwords import MIN_PASSWORD_LENGTH, Passwords
from sscard.cards.banks import is_cooperative_bank
from sscard.clock import token_time
from sscard.errors import Conflict, Invalid, ServiceError
from sscard.institutions.service import authenticate_terminal
from sscard.people.service import find_person
from sscard.policy.regions import NATIONAL
from sscard.policy.service import get_region
from sscard.roles import Principal, Role
from sscard.unit import Unit

USERNAME_PATTERN = re.compile(r"\A[a-z0-9][a-z0-9_.-]{2,63}\Z")


class InvalidCredentials(ServiceError):
    status, code, title = 401, "invalid_credentials", "Invalid credentials"
    keep_changes = True  # the failure counts toward the sign-in throttle (R-SEC-3)


class UnsupportedGrant(ServiceError):
    status, code, title = 400, "unsupported_grant_type", "Unsupported grant type"


@dataclass(frozen=True, slots=True)
class NewUser:
    """What an admin enters to create a login."""

    username: str
    password: str
    role: Role
    region: str
    person_id: int | None = None
    bank: str | None = None


def create_user(unit: Unit, new: NewUser) -> User:
    """Create a staff or cardholder login within the admin's own scope."""
    _check_user_fields(new)
    get_region(unit.session, new.region)
    unit.actor.require_region(new.region)
    region = new.region
    if new.role is Role.CARDHOLDER:
        assert new.person_id is not None
        region = find_person(unit, new.person_id).region_code  # a holder's scope is their own region
    user = User(
        username=new.username,
        password_hash=unit.runtime.passwords.hash(new.password),
        role=new.role.value,
        region_code=region,
        person_id=new.person_id,
        bank=new.bank,
        created_at=unit.now,
        created_by=unit.actor.subject,
    )
    _insert_user(unit.session, user)
    unit.audit("user.create", ("user", user.username), region, role=user.role)
    return user


def _check_user_fields(new: NewUser) -> None:
    if not USERNAME_PATTERN.match(new.username):
        raise Invalid(
            "invalid_request", "a username is 3-64 of a-z 0-9 _ . - starting with a letter or digit", field="username"
        )
    if len(new.password) < MIN_PASSWORD_LENGTH:
        raise Invalid("weak_password", f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if new.role is Role.TERMINAL:
        raise Invalid("invalid_request", "terminals are created under their institution", field="role")
    if (new.role is Role.CARDHOLDER) != (new.person_id is not None):
        raise Invalid("invalid_request", "person_id is given for a cardholder and only for one", field="person_id")
    if (new.role is Role.BANK) != (new.bank is not None):
        raise Invalid("invalid_request", "bank is given for a bank user and only for one", field="bank")
    if new.bank is not None and not is_cooperative_bank(new.bank):
        raise Invalid("unknown_bank", f"{new.bank!r} is not a cooperative bank", field="bank")


def _insert_user(session: Session, user: User) -> None:
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:
        raise Conflict("user_exists", "that username, or a login for that person, already exists") from exc


def sign_in(unit: Unit, username: str, password: str, address: str = "unknown") -> Principal:
    """The principal for a username and password; 401 invalid_credentials, 429
    signin_throttled while the login or the address is locked (R-SEC-3)."""
    keys = (throttle.login_key(username), throttle.address_key(address))
    signin_counts.refuse_if_locked(unit, keys)
    user = unit.session.scalars(select(User).where(User.username == username)).one_or_none()
    right = unit.runtime.passwords.verify(user.password_hash if user else None, password)
    # A disabled login (R-SEC-2) is answered like a wrong password: which logins exist is not told.
    if user is None or not right or user.disabled:
        _count_failure(unit, user, keys)
        raise InvalidCredentials("the username or password is incorrect")
    signin_counts.forget_failures(unit, keys[0])
    return Principal(
        subject=user.username,
        role=Role(user.role),
        region=user.region_code,
        person_id=user.person_id,
        bank=user.bank,
        generation=user.generation,
    )


def _count_failure(unit: Unit, user: User | None, keys: tuple[str, str]) -> None:
    max_failures = unit.policy(user.region_code if user else NATIONAL).signin_max_failures
    signin_counts.count_failure(unit, keys[0], max_failures)
    signin_counts.count_failure(unit, keys[1], throttle.ADDRESS_MAX_FAILURES)


def issue_token(unit: Unit, grant_type: str, form: dict[str, str | None], address: str = "unknown") -> str:
    """POST /v1/auth/token: password grant for people, client credentials for terminals."""
    if grant_type == "password":
        principal = sign_in(unit, form.get("username") or "", form.get("password") or "", address)
    elif grant_type == "client_credentials":
        terminal = authenticate_terminal(unit.session, form.get("client_id") or "", form.get("client_secret") or "")
        if terminal is None:
            raise InvalidCredentials("the client id or secret is incorrect")
        principal = terminal
    else:
        raise UnsupportedGrant(f"grant_type {grant_type!r} is not supported; use password or client_credentials")
    return unit.runtime.tokens.issue(principal, token_time(unit.runtime.clock))


def ensure_admin(session: Session, passwords: Passwords, username: str, password: str, now: datetime) -> bool:
    """Create the national admin on first start, when the database has no users."""
    if session.scalar(select(func.count()).select_from(User)):
        return False
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the admin password needs at least {MIN_PASSWORD_LENGTH} characters")
    session.add(
        User(
            username=username,
            password_hash=passwords.hash(password),
            role=Role.ADMIN.value,
            region_code=NATIONAL,
            created_at=now,
            created_by="bootstrap",
        )
    )
    session.flush()
    return True
