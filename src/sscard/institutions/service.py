"""Designated institutions and their terminals."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sscard.errors import NotFound
from sscard.institutions.models import Institution, Terminal
from sscard.policy.service import get_region
from sscard.roles import Principal, Role
from sscard.unit import Unit


@dataclass(frozen=True, slots=True)
class NewInstitution:
    """A hospital or pharmacy to register."""

    name: str
    kind: str
    region: str
    designated: bool


def register_institution(unit: Unit, new: NewInstitution) -> Institution:
    """Register a hospital or pharmacy in the admin's scope."""
    get_region(unit.session, new.region)
    unit.actor.require_region(new.region)
    institution = Institution(
        name=new.name.strip(), kind=new.kind, region_code=new.region, designated=new.designated, created_at=unit.now
    )
    unit.session.add(institution)
    unit.session.flush()
    unit.audit(
        "institution.register",
        ("institution", institution.id),
        institution.region_code,
        kind=new.kind,
        designated=new.designated,
    )
    return institution


def find_institution(unit: Unit, institution_id: int) -> Institution:
    """An institution in the caller's scope."""
    institution = unit.session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(f"no institution {institution_id}")
    unit.actor.require_region(institution.region_code)
    return institution


def add_terminal(
    unit: Unit,
    institution_id: int,
    *,
    credentials: tuple[str, str] | None = None,
) -> tuple[Terminal, str]:
    """A new terminal and its client secret, which is shown this once and kept hashed.

    `credentials` fixes the client id and secret instead of drawing them (the demo).
    """
    institution = find_institution(unit, institution_id)
    terminal_id, secret = credentials or (f"trm_{secrets.token_hex(8)}", secrets.token_urlsafe(32))
    terminal = Terminal(
        terminal_id=terminal_id, institution_id=institution.id, secret_hash=_digest(secret), created_at=unit.now
    )
    unit.session.add(terminal)
    unit.session.flush()
    unit.audit(
        "terminal.create", ("terminal", terminal.terminal_id), institution.region_code, institution_id=institution.id
    )
    return terminal, secret


def authenticate_terminal(session: Session, client_id: str, client_secret: str) -> Principal | None:
    """The terminal's principal for valid client credentials, else None (a disabled
    terminal's too, R-SEC-2)."""
    row = session.execute(
        select(Terminal, Institution).join(Institution).where(Terminal.terminal_id == client_id)
    ).one_or_none()
    if row is None or not hmac.compare_digest(row.Terminal.secret_hash, _digest(client_secret)):
        return None
    if row.Terminal.disabled:
        return None
    return Principal(
        subject=row.Terminal.terminal_id,
        role=Role.TERMINAL,
        region=row.Institution.region_code,
        institution_id=row.Institution.id,
        generation=row.Terminal.generation,
    )


def current_terminal_generation(session: Session, terminal_id: str) -> int | None:
    """The generation a token of this terminal must carry; None if it is gone or disabled."""
    row = session.execute(
        select(Terminal.generation, Terminal.disabled).where(Terminal.terminal_id == terminal_id)
    ).one_or_none()
    return None if row is None or row.disabled else int(row.generation)


def change_terminal(unit: Unit, terminal_id: str, *, disabled: bool) -> tuple[Terminal, Institution]:
    """Disable a terminal or enable it again; its tokens end either way (R-SEC-2)."""
    terminal, institution = _terminal_in_scope(unit, terminal_id)
    terminal.disabled = disabled
    _new_generation(unit, terminal)
    unit.audit("terminal.change", ("terminal", terminal.terminal_id), institution.region_code, disabled=disabled)
    return terminal, institution


def rotate_terminal_secret(unit: Unit, terminal_id: str) -> tuple[Terminal, str]:
    """A new client secret, shown this once; the old one and its tokens end (R-SEC-2)."""
    terminal, institution = _terminal_in_scope(unit, terminal_id)
    secret = secrets.token_urlsafe(32)
    terminal.secret_hash = _digest(secret)
    _new_generation(unit, terminal)
    unit.audit("terminal.secret_rotate", ("terminal", terminal.terminal_id), institution.region_code)
    return terminal, secret


def _terminal_in_scope(unit: Unit, terminal_id: str) -> tuple[Terminal, Institution]:
    row = unit.session.execute(
        select(Terminal, Institution)
        .join(Institution)
        .where(Terminal.terminal_id == terminal_id)
        .with_for_update(of=Terminal)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no terminal {terminal_id!r}")
    unit.actor.require_region(row.Institution.region_code)
    return row.Terminal, row.Institution


def _new_generation(unit: Unit, terminal: Terminal) -> None:
    terminal.generation += 1
    unit.session.flush()
    key = Principal(subject=terminal.terminal_id, role=Role.TERMINAL).grant_key
    invalidate = unit.runtime.tokens.grants.invalidate
    # At once, and again when the change commits: a request that read the old
    # generation meanwhile must not keep it in this process.
    invalidate(key)
    event.listen(unit.session, "after_commit", lambda _session: invalidate(key), once=True)


def _digest(secret: str) -> str:
    # A random 256-bit secret needs no slow hash: nothing short enough to guess exists.
    return hashlib.sha256(secret.encode()).hexdigest()
