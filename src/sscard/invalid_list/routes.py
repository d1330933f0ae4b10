"""Invalid list routes: inquiry, snapshot, changes, terminal sync (API.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import Field, StrictInt

from sscard.cards.numbers import is_card_no
from sscard.contract import problem_responses
from sscard.errors import Invalid, NotFound
from sscard.http import allow, permit, runtime
from sscard.invalid_list import binary, service, sync
from sscard.invalid_list.broker import ListBroker
from sscard.invalid_list.mirror import ListMirror
from sscard.invalid_list.models import InvalidCard
from sscard.invalid_list.rules import ListReason, Op
from sscard.invalid_list.sync import city_of
from sscard.policy.regions import is_region_code, level_of, scope_prefix
from sscard.policy.service import get_region, is_known_region
from sscard.roles import STAFF, Principal, Role
from sscard.runtime import Runtime
from sscard.schemas import Body as BodyModel
from sscard.schemas import Out
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["invalid list"], responses=problem_responses(410))

LIST_READERS = allow(Role.TERMINAL, Role.BANK, read_only=True)
INQUIRERS = permit(Role.TERMINAL, Role.BANK, *STAFF)
ScopeParam = Annotated[str | None, Query(description="region code; default the caller's city (R-INV-2)")]


def list_scope(unit: Unit, requested: str | None) -> str:
    """The list level asked for: a city, a province or the nation (R-INV-2).

    A district asks for its city's list; staff only for a scope they cover.
    """
    scope = _asked_scope(unit.actor, requested)
    get_region(unit.session, scope)
    _require_access(unit.actor, scope)
    return scope


def _asked_scope(caller: Principal, requested: str | None) -> str:
    scope = requested or caller.region
    if not is_region_code(scope):
        raise Invalid("invalid_request", f"{scope!r} is not a region code", field="scope")
    return city_of(scope)


def _require_access(caller: Principal, scope: str) -> None:
    if caller.is_staff and caller.role is not Role.BANK:
        caller.require_region(scope)


class InquiryRead(Out):
    card_no: str
    invalid: bool
    reason: ListReason | None = None
    since: datetime | None = None
    level: str
    scope: str


@router.get("/invalid-list/inquiry")
async def inquiry(
    request: Request, card_no: str, caller: Annotated[Principal, Depends(INQUIRERS)], scope: ScopeParam = None
) -> InquiryRead:
    """Is this card invalid, since when, and why."""
    # Async and without a session: a card the list does not hold (nearly every one) is
    # answered from this process's copy of the list (invalid_list.mirror) alone.
    rt = runtime(request)
    scope = _asked_scope(caller, scope)
    if not is_known_region(scope):
        await run_in_threadpool(_require_known_region, rt, scope)
    _require_access(caller, scope)
    if not is_card_no(card_no):
        raise NotFound(f"{card_no} is not a card number")
    mirror = _current_mirror(request)
    entry = None if mirror and mirror.clears(card_no) else await run_in_threadpool(_entry_of, rt, card_no)
    if entry is not None and not entry.region_code.startswith(scope_prefix(scope)):
        entry = None  # another area's list (R-INV-2)
    return InquiryRead(
        card_no=card_no,
        invalid=entry is not None,
        reason=entry.reason if entry else None,
        since=entry.since if entry else None,
        level=str(level_of(scope)),
        scope=scope,
    )


def _current_mirror(request: Request) -> ListMirror | None:
    broker: ListBroker | None = getattr(request.app.state, "list_broker", None)
    return broker.current_mirror() if broker else None


def _require_known_region(rt: Runtime, code: str) -> None:
    with rt.read_sessions() as session:
        get_region(session, code)


def _entry_of(rt: Runtime, card_no: str) -> InvalidCard | None:
    with rt.read_sessions() as session:
        return service.entry_of(session, card_no)


class SnapshotCard(Out):
    card_no: str
    reason: ListReason
    since: datetime


class SnapshotRead(Out):
    version: int
    scope: str
    cards: list[SnapshotCard]


@router.get(
    "/invalid-list/snapshot",
    response_model=SnapshotRead,
    responses={200: {"content": {binary.MEDIA_TYPE: {}}, "description": "JSON, or the compact form by Accept"}},
)
def snapshot(request: Request, unit: Annotated[Unit, Depends(LIST_READERS)], scope: ScopeParam = None) -> Response:
    """The whole list of a scope; `ETag` is its version, `If-None-Match` gives 304."""
    snap = service.snapshot(unit.session, list_scope(unit, scope))
    etag = f'"{snap.version}"'
    # One version, two representations: caches tell them apart by Accept.
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if binary.MEDIA_TYPE in request.headers.get("accept", ""):
        body = binary.encode(snap.version, snap.scope, ((c.card_no, c.reason) for c in snap.cards))
        return Response(body, media_type=binary.MEDIA_TYPE, headers=headers)
    cards = [SnapshotCard(card_no=c.card_no, reason=c.reason, since=c.since) for c in snap.cards]
    read = SnapshotRead(version=snap.version, scope=snap.scope, cards=cards)
    return Response(read.model_dump_json(), media_type="application/json", headers=headers)


class ChangeRead(Out):
    version: int
    card_no: str
    op: Op
    reason: ListReason | None
    at: datetime


class ChangesRead(Out):
    version: int = Field(description="the version these changes bring a terminal to")
    changes: list[ChangeRead]


@router.get("/invalid-list/changes")
def changes(
    since: Annotated[int, Query(ge=0)],
    unit: Annotated[Unit, Depends(LIST_READERS)],
    scope: ScopeParam = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> ChangesRead:
    """Changes after a version, oldest first; 410 snapshot_required when too old."""
    version, rows = service.changes_since(unit.session, since, list_scope(unit, scope), limit)
    items = [ChangeRead(version=c.version, card_no=c.card_no, op=c.op, reason=c.reason, at=c.at) for c in rows]
    return ChangesRead(version=version, changes=items)


class SyncBody(BodyModel):
    version: StrictInt = Field(ge=0)


@router.post("/terminals/me/sync", status_code=status.HTTP_204_NO_CONTENT)
def acknowledge(body: Annotated[SyncBody, Body()], unit: Annotated[Unit, Depends(allow(Role.TERMINAL))]) -> Response:
    """The terminal applied this version (R-INV-3)."""
    sync.acknowledge(unit, body.version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class TerminalStatus(Out):
    terminal_id: str
    institution_id: int
    institution_name: str
    region: str
    list_version: int | None
    list_synced_at: datetime | None
    behind_since: datetime | None
    lagging: bool
    disabled: bool


class TerminalList(Out):
    current_version: int
    items: list[TerminalStatus]


@router.get("/terminals")
def terminals(
    unit: Annotated[Unit, Depends(allow(Role.ADMIN, read_only=True))], lagging: bool | None = None
) -> TerminalList:
    """Terminals with the version they applied; `lagging=true` those behind by more
    than their region's `max_list_lag_minutes`."""
    items = [
        TerminalStatus(
            terminal_id=lag.terminal.terminal_id,
            institution_id=lag.institution.id,
            institution_name=lag.institution.name,
            region=lag.institution.region_code,
            list_version=lag.terminal.list_version,
            list_synced_at=lag.terminal.list_synced_at,
            behind_since=lag.behind_since,
            lagging=lag.lagging,
            disabled=lag.terminal.disabled,
        )
        for lag in sync.terminal_lags(unit, behind_only=lagging is True)
        if lagging is None or lag.lagging == lagging
    ]
    return TerminalList(current_version=service.current_version(unit.session), items=items)
