"""Bank routes: reading a bank's events and registering where they are pushed (API.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sscard.banks import service
from sscard.banks.models import BankEndpoint
from sscard.banks.schemas import BankEventPage, EndpointRead, EndpointSet, bank_event_read
from sscard.errors import Forbidden
from sscard.http import allow
from sscard.roles import Role
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["banks"])


@router.get("/bank-events")
def read_bank_events(
    unit: Annotated[Unit, Depends(allow(Role.BANK, read_only=True))],
    since: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> BankEventPage:
    """Loss, lift, replacement and cancellation events of the caller's bank, oldest first."""
    if unit.actor.bank is None:
        raise Forbidden("this login is not a bank's")
    rows = service.events_for(unit, unit.actor.bank, since, limit)
    items = [bank_event_read(e) for e in rows]
    return BankEventPage(items=items, next_since=items[-1].event_id if items else since)


@router.put("/banks/{bank}/endpoint")
def set_endpoint(
    bank: str, body: EndpointSet, unit: Annotated[Unit, Depends(allow(Role.ADMIN, Role.BANK))]
) -> EndpointRead:
    """Where the bank's events are pushed, signed, after each commit (R-NOTE-2)."""
    return endpoint_read(service.set_endpoint(unit, bank, body.url, body.secret))


def endpoint_read(endpoint: BankEndpoint) -> EndpointRead:
    return EndpointRead(
        bank=endpoint.bank,
        url=endpoint.url,
        pushed_through=endpoint.pushed_through,
        failures=endpoint.failures,
        last_error=endpoint.last_error,
    )
