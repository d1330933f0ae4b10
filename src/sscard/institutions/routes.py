"""Institution and terminal routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, status
from pydantic import Field, StrictBool

from sscard.cards.schemas import Empty
from sscard.http import allow
from sscard.institutions import service
from sscard.roles import Role
from sscard.schemas import Body as BodyModel
from sscard.schemas import Out, RegionCode
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["institutions"])


class InstitutionCreate(BodyModel):
    name: str = Field(min_length=2, max_length=100)
    kind: Literal["hospital", "pharmacy"]
    region: RegionCode
    designated: bool


class InstitutionRead(Out):
    institution_id: int
    name: str
    kind: str
    region: str
    designated: bool
    created_at: datetime


class TerminalCreated(Out):
    terminal_id: str
    client_secret: str = Field(description="shown this once; only its hash is kept")
    institution_id: int


class TerminalChange(BodyModel):
    """Disable a terminal, or enable it again; its tokens end either way (R-SEC-2)."""

    disabled: StrictBool


class TerminalRead(Out):
    terminal_id: str
    institution_id: int
    region: str
    disabled: bool


TerminalId = Annotated[str, Path(max_length=32)]


@router.post("/institutions", status_code=status.HTTP_201_CREATED)
def register_institution(body: InstitutionCreate, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]) -> InstitutionRead:
    """Register a hospital or pharmacy."""
    row = service.register_institution(unit, service.NewInstitution(**body.model_dump()))
    return InstitutionRead(
        institution_id=row.id,
        name=row.name,
        kind=row.kind,
        region=row.region_code,
        designated=row.designated,
        created_at=row.created_at,
    )


@router.post("/institutions/{institution_id}/terminals", status_code=status.HTTP_201_CREATED)
def add_terminal(
    institution_id: int, unit: Annotated[Unit, Depends(allow(Role.ADMIN))], _: Annotated[Empty | None, Body()] = None
) -> TerminalCreated:
    """Add a POS terminal; its client secret is in this response only."""
    terminal, secret = service.add_terminal(unit, institution_id)
    return TerminalCreated(terminal_id=terminal.terminal_id, client_secret=secret, institution_id=institution_id)


@router.patch("/terminals/{terminal_id}")
def change_terminal(
    terminal_id: TerminalId, body: TerminalChange, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]
) -> TerminalRead:
    """Disable a terminal (or enable it again); its tokens end on their next request,
    its open event stream at its next change or heartbeat (R-SEC-2)."""
    terminal, institution = service.change_terminal(unit, terminal_id, disabled=body.disabled)
    return TerminalRead(
        terminal_id=terminal.terminal_id,
        institution_id=institution.id,
        region=institution.region_code,
        disabled=terminal.disabled,
    )


@router.post("/terminals/{terminal_id}/secret")
def rotate_secret(
    terminal_id: TerminalId,
    unit: Annotated[Unit, Depends(allow(Role.ADMIN))],
    _: Annotated[Empty | None, Body()] = None,
) -> TerminalCreated:
    """A new client secret, in this response only; the old secret and every token
    issued under it end (R-SEC-2)."""
    terminal, secret = service.rotate_terminal_secret(unit, terminal_id)
    return TerminalCreated(
        terminal_id=terminal.terminal_id, client_secret=secret, institution_id=terminal.institution_id
    )
