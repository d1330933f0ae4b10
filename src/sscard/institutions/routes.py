"""Institution and terminal routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, status
from pydantic import Field

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
