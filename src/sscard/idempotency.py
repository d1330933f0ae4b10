"""Idempotency-Key (API.md Conventions): a repeat returns the first response."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from fastapi.responses import JSONResponse
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from sscard.context import request_id_var
from sscard.errors import Conflict, Invalid, ServiceError
from sscard.hot_path import HotStatement
from sscard.settlement.models import IdempotencyRecord
from sscard.unit import Unit

MAX_KEY_LENGTH = 200


class Replay(Exception):
    """The stored first response, to be sent again as it was."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def request_hash(payload: Any) -> str:
    """A digest of the request body, independent of key order and spacing."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(
    unit: Unit, key: str | None, payload: Any, work: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any]]:
    """Run `work` once per (caller, key); a repeat raises Replay with the first response.

    A refusal is a response too: it is stored, and its trace committed, before it goes
    out. The same key with another body is 409 idempotency_mismatch.
    """
    if key is None:
        return work()
    if not (key.strip() and len(key) <= MAX_KEY_LENGTH):
        raise Invalid(
            "invalid_request", f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters", field="Idempotency-Key"
        )
    digest, owner = request_hash(payload), unit.actor.subject
    _replay_if_seen(unit, owner, key, digest)
    try:
        status, body = work()
    except ServiceError as refusal:
        _store(unit, owner, key, digest, refusal.status, refusal.problem())
        refusal.keep_changes = True
        raise
    _store(unit, owner, key, digest, status, body)
    return status, body


# Built once: keyed requests run these on every call (see settlement.statements).
_RECORDS = cast("Table", IdempotencyRecord.__table__)
_SEEN = HotStatement(
    select(_RECORDS.c.request_hash, _RECORDS.c.status, _RECORDS.c.body).where(
        _RECORDS.c.owner == bindparam("owner"), _RECORDS.c.key == bindparam("key")
    )
)
# ON CONFLICT DO NOTHING rather than a savepoint around a plain INSERT: one round trip,
# and a clash leaves the transaction usable. A clash still waits for the other request's
# transaction, as the unique key makes it, and then returns no row.
_STORE = HotStatement(
    postgresql.insert(_RECORDS).on_conflict_do_nothing().returning(_RECORDS.c.owner),
    elsewhere=sqlite.insert(_RECORDS).on_conflict_do_nothing().returning(_RECORDS.c.owner),
)


def _replay_if_seen(unit: Unit, owner: str, key: str, digest: str) -> None:
    seen = _SEEN.first(unit.session, {"owner": owner, "key": key})
    if seen is None:
        return
    if seen.request_hash != digest:
        raise Conflict("idempotency_mismatch", "this Idempotency-Key was used with another request body")
    raise Replay(seen.status, seen.body)


def _store(unit: Unit, owner: str, key: str, digest: str, status: int, body: dict[str, Any]) -> None:
    values = {"owner": owner, "key": key, "request_hash": digest, "status": status, "body": body, "at": unit.now}
    stored = _STORE.first(unit.session, values)
    if stored is None:
        # The same key is being used by a request running at this very moment.
        raise Conflict("idempotency_in_progress", "a request with this Idempotency-Key is in progress")
    unit.session.info[_WRITTEN] = (owner, key)


# Where a session keeps the (owner, key) whose record it wrote (see written_under).
_WRITTEN = "sscard.idempotency_record"


def written_under(session: Session) -> tuple[str, str] | None:
    """The (owner, key) of the record this unit of work wrote, or None when it wrote
    none: a COMMIT that lost its reply is resolved from that record (issue 14)."""
    written: tuple[str, str] | None = session.info.get(_WRITTEN)
    return written


def recorded(sessions: sessionmaker[Session], owner: str, key: str) -> tuple[int, dict[str, Any]] | None:
    """The response stored under a key once every transaction writing it has ended, or
    None when none committed (issue 14: a COMMIT whose reply was lost).

    A plain read could run while the lost COMMIT is still being carried out; inserting
    the same key waits for that transaction to end, as the unique key makes it, and is
    always rolled back.
    """
    with sessions() as session:
        probe = {"owner": owner, "key": key, "request_hash": "", "status": 0, "body": {}, "at": datetime.now(UTC)}
        claimed = _STORE.first(session, probe)
        seen = None if claimed is not None else _SEEN.rows(session, {"owner": owner, "key": key})[0]
        session.rollback()
    return None if seen is None else (seen.status, seen.body)


def respond(unit: Unit, key: str | None, payload: Any, work: Callable[[], tuple[int, dict[str, Any]]]) -> JSONResponse:
    """The route's answer: the work's, or the first response to this key again."""
    try:
        status, body = once(unit, key, payload, work)
    except Replay as replay:
        refused = replay.status >= 400
        media = "application/problem+json" if refused else "application/json"
        # A replayed refusal names this request, as every problem does (the header too).
        body = replay.body | {"request_id": request_id_var.get()} if refused else replay.body
        return JSONResponse(body, status_code=replay.status, media_type=media, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(body, status_code=status)
