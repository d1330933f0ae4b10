"""Demo-only routes: let time pass, to watch reports expire and cards become ready."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from sscard.clock import OffsetClock
from sscard.errors import NotFound
from sscard.http import allow
from sscard.jobs import run_due_jobs
from sscard.roles import Role
from sscard.schemas import Body, Out
from sscard.unit import Unit

router = APIRouter(prefix="/v1/demo", tags=["demo"])


class ClockAdvance(Body):
    days: int = Field(default=0, ge=0, le=366)
    hours: int = Field(default=0, ge=0, le=24 * 366)


class ClockRead(Out):
    now: datetime
    offset_seconds: int
    jobs: dict[str, int]
    tokens: str = Field(
        default="still valid: access tokens expire by the real time, not the demo clock",
        description="what moving the clock did to the tokens already handed out (nothing)",
    )


@router.post("/clock")
def advance_clock(body: ClockAdvance, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]) -> ClockRead:
    """Move the demo server's clock forward and run the jobs that became due.

    Tokens already handed out keep working: their expiry follows the real time, not the
    moved clock, so nobody has to sign in again."""
    clock = unit.runtime.clock
    if not unit.runtime.settings.demo or not isinstance(clock, OffsetClock):
        raise NotFound("the clock moves only on a demo server")
    clock.advance(timedelta(days=body.days, hours=body.hours))
    unit.audit("demo.clock", ("clock", "demo"), None, days=body.days, hours=body.hours)
    jobs = run_due_jobs(unit.runtime)
    return ClockRead(now=clock.now(), offset_seconds=int(clock.offset.total_seconds()), jobs=jobs)
