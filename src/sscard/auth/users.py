"""Managing logins: list, move, disable, reset a password (API.md users, R-SEC-2)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sscard.auth.models import User
from sscard.auth.passwords import MIN_PASSWORD_LENGTH
from sscard.errors import Invalid, NotFound
from sscard.policy.regions import scope_prefix
from sscard.policy.service import get_region
from sscard.roles import Role
from sscard.unit import Unit

# A bank login belongs to its bank and a cardholder's to their person: neither changes role.
_ROLES_TIED_TO_A_RECORD = frozenset({Role.BANK, Role.CARDHOLDER, Role.TERMINAL})


@dataclass(frozen=True, slots=True)
class LoginChange:
    """What an admin may change on a login; None leaves a field as it is."""

    role: Role | None = None
    region: str | None = None
    disabled: bool | None = None


def list_users(unit: Unit, cursor: int | None, limit: int) -> tuple[Sequence[User], int | None]:
    """The logins in the admin's scope by id, a page at a time; the next cursor or None."""
    stmt = select(User).order_by(User.id).limit(limit + 1)
    prefix = scope_prefix(unit.actor.region)
    if prefix:
        stmt = stmt.where(User.region_code.startswith(prefix, autoescape=True))
    if cursor is not None:
        stmt = stmt.where(User.id > cursor)
    users = unit.session.scalars(stmt).all()
    return users[:limit], (users[limit - 1].id if len(users) > limit else None)


def find_user(unit: Unit, username: str) -> User:
    """One login in the admin's scope (404 for none, 403 out_of_region for another's)."""
    user = unit.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f"no login {username!r}")
    unit.actor.require_region(user.region_code)
    return user


def change_user(unit: Unit, username: str, change: LoginChange) -> User:
    """Move a login to another role or region or (re-)enable it; old tokens end (R-SEC-2)."""
    user = _user_in_scope(unit, username)
    _check_change(unit, user, change)
    user.role = (change.role or Role(user.role)).value
    user.region_code = change.region or user.region_code
    user.disabled = user.disabled if change.disabled is None else change.disabled
    _new_generation(unit, user)
    fields = {"role": change.role, "to_region": change.region, "disabled": change.disabled}
    unit.audit("user.change", ("user", user.username), user.region_code, **_given(fields))
    return user


def reset_password(unit: Unit, username: str, password: str) -> None:
    """Give a login a new password; its old tokens end (R-SEC-2)."""
    user = _user_in_scope(unit, username)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("weak_password", f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password")
    user.password_hash = unit.runtime.passwords.hash(password)
    _new_generation(unit, user)
    unit.audit("user.password_reset", ("user", user.username), user.region_code)


def current_generation(session: Session, username: str) -> int | None:
    """The generation a token of this login must carry; None if it is gone or disabled."""
    row = session.execute(select(User.generation, User.disabled).where(User.username == username)).one_or_none()
    return None if row is None or row.disabled else int(row.generation)


def _user_in_scope(unit: Unit, username: str) -> User:
    user = unit.session.scalars(select(User).where(User.username == username).with_for_update()).one_or_none()
    if user is None:
        raise NotFound(f"no login {username!r}")
    unit.actor.require_region(user.region_code)
    return user


def _check_change(unit: Unit, user: User, change: LoginChange) -> None:
    role = Role(user.role)
    if change.role not in {None, role} and {role, change.role} & _ROLES_TIED_TO_A_RECORD:
        raise Invalid("invalid_request", "bank, cardholder and terminal logins keep their role", field="role")
    if change.region is not None:
        if role is Role.CARDHOLDER:
            raise Invalid("invalid_request", "a cardholder's scope is their own region", field="region")
        get_region(unit.session, change.region)
        unit.actor.require_region(change.region)  # no admin grants a scope wider than their own


def _new_generation(unit: Unit, user: User) -> None:
    user.generation += 1
    unit.session.flush()
    _end_grants(unit.session, unit.runtime.tokens.grants.invalidate, user.username)


def _end_grants(session: Session, invalidate: Callable[[str], None], username: str) -> None:
    # At once, and again when the change commits: a request that read the old
    # generation meanwhile must not keep it in this process.
    invalidate(username)
    event.listen(session, "after_commit", lambda _session: invalidate(username), once=True)


def _given(fields: Mapping[str, object]) -> dict[str, object]:
    return {
        name: str(value) if isinstance(value, Role) else value for name, value in fields.items() if value is not None
    }
