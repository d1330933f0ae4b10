"""The live invalid list: Server-Sent Events, one event a change (R-INV-3).

A stream resumes where the terminal left off: first the changes it missed, read from
the database in short transactions, then the live changes the broker fans out. The
subscription is taken before the backlog is read, so the two overlap rather than leave
a hole, and every version at or below the last one sent is skipped.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event

from sscard.errors import Invalid
from sscard.http import runtime, still_granted_now
from sscard.invalid_list import service
from sscard.invalid_list.broker import (
    HEARTBEAT_SECONDS,
    ListBroker,
    ListEvent,
    StreamUnavailable,
    Subscription,
    read_changes,
)
from sscard.invalid_list.routes import LIST_READERS, ChangeRead, ScopeParam, list_scope
from sscard.roles import Principal
from sscard.unit import Unit

if TYPE_CHECKING:
    from sscard.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["invalid list"])

EVENT_STREAM = "text/event-stream"
BACKLOG_BATCH = 1000
# Frames of the newest changes, kept because every stream of this process sends the
# same bytes for a change: it is encoded once, not once per stream.
FRAMES_KEPT = 4096
HEARTBEAT = format_sse_event(comment="heartbeat")


@router.get(
    "/invalid-list/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {EVENT_STREAM: {}}, "description": "one `change` event a change, `id:` = version"}},
)
def stream(
    request: Request,
    unit: Annotated[Unit, Depends(LIST_READERS)],
    scope: ScopeParam = None,
    since: Annotated[int | None, Query(ge=0, description="resume after this version (Last-Event-ID wins)")] = None,
    last_event_id: Annotated[str | None, Header(description="the last version received")] = None,
) -> StreamingResponse:
    """Changes as they commit; from `Last-Event-ID` (or `since`) the missed ones first;
    410 snapshot_required when that version is too old."""
    scope = list_scope(unit, scope)
    start = _resume_point(unit, scope, _resume_after(last_event_id, since))
    broker = _running_broker(request)
    events = _events(broker, runtime(request), unit.actor, scope, start)
    return StreamingResponse(events, media_type=EVENT_STREAM, headers={"Cache-Control": "no-cache"})


def _resume_after(last_event_id: str | None, since: int | None) -> int | None:
    # A reconnecting EventSource repeats the first URL, so its header is the newer word.
    if not last_event_id:
        return since
    if not last_event_id.isascii() or not last_event_id.isdigit():
        raise Invalid("invalid_request", f"Last-Event-ID {last_event_id!r} is not a version", field="Last-Event-ID")
    return int(last_event_id)


def _resume_point(unit: Unit, scope: str, after: int | None) -> int:
    if after is None:
        return service.current_version(unit.session)
    service.changes_since(unit.session, after, scope, 1)  # 410 now, before the stream opens
    return after


def _running_broker(request: Request) -> ListBroker:
    broker: ListBroker | None = getattr(request.app.state, "list_broker", None)
    if broker is None or not broker.running:
        raise StreamUnavailable("the invalid-list stream is not running in this server")
    return broker


async def _events(broker: ListBroker, rt: Runtime, caller: Principal, scope: str, start: int) -> AsyncIterator[bytes]:
    subscription = broker.subscribe(scope)
    try:
        cursor = start
        while True:
            reached, changes = await asyncio.to_thread(read_changes, rt, cursor, scope, BACKLOG_BATCH)
            for change in changes:
                yield _frame(change)
            cursor = reached
            if len(changes) < BACKLOG_BATCH:
                break
        async for chunk in _live(subscription, cursor):
            # R-SEC-2: a terminal disabled (or a login changed) meanwhile is out at the
            # next change or heartbeat (within two heartbeats if another process made
            # the change); its reconnect is told 401.
            if not await still_granted_now(rt, caller, HEARTBEAT_SECONDS):
                return
            yield chunk
    except service.SnapshotRequired:
        return  # the log was trimmed meanwhile: the reconnect will be told 410
    finally:
        broker.unsubscribe(subscription)


async def _live(subscription: Subscription, cursor: int) -> AsyncIterator[bytes]:
    # None: dropped or shutting down, and the client resumes from its Last-Event-ID.
    while (changes := await subscription.take()) is not None:
        if not changes:
            yield HEARTBEAT  # the broker's timer: this stream has been quiet
            continue
        fresh = [change for change in changes if change.version > cursor]  # not in the backlog
        if fresh:
            yield b"".join(_frame(change) for change in fresh)
            cursor = fresh[-1].version


@functools.lru_cache(maxsize=FRAMES_KEPT)
def _frame(change: ListEvent) -> bytes:
    data = ChangeRead(version=change.version, card_no=change.card_no, op=change.op, reason=change.reason, at=change.at)
    return format_sse_event(data_str=data.model_dump_json(), event="change", id=str(change.version))
