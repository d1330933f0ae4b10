"""Region policy and working-day calendar routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field, StrictBool, StrictInt

from sscard.http import allow
from sscard.policy import rules, service
from sscard.roles import Role
from sscard.schemas import Body, Out
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["policy"])

OptionalInt = StrictInt | None


class Fees(Body):
    lost: OptionalInt = None
    stolen: OptionalInt = None
    damaged: OptionalInt = None
    demagnetized: OptionalInt = None
    expired: OptionalInt = None


class PolicyUpdate(Body):
    """Fields given are set on this region; a null clears one back to inheritance."""

    hotline: str | None = None
    production_working_days: OptionalInt = None
    lift_after_days: OptionalInt = None
    provisional_valid_days: OptionalInt = None
    pin_max_tries: OptionalInt = None
    fees: Fees | None = None
    max_list_lag_minutes: OptionalInt = None
    offline_floor_limit: OptionalInt = None
    temp_certificate_valid_days: OptionalInt = None
    claim_grace_days: OptionalInt = None
    ecert_valid_seconds: OptionalInt = None
    card_valid_years: OptionalInt = None
    offline_upload_hours: OptionalInt = None
    second_review_fen: OptionalInt = None
    signin_max_failures: OptionalInt = None


class FeesRead(Out):
    lost: int
    stolen: int
    damaged: int
    demagnetized: int
    expired: int


class PolicyRead(Out):
    region: str
    hotline: str
    production_working_days: int
    lift_after_days: int
    provisional_valid_days: int
    pin_max_tries: int
    fees: FeesRead
    max_list_lag_minutes: int
    offline_floor_limit: int
    temp_certificate_valid_days: int
    claim_grace_days: int
    ecert_valid_seconds: int
    card_valid_years: int
    offline_upload_hours: int = Field(description="R-SET-6: an offline charge is uploaded within this many hours")
    second_review_fen: int = Field(description="R-SEC-4: a claim paying more than this needs a second approver")
    signin_max_failures: int
    sources: dict[str, str] = Field(description="for each field, the region whose value is in force")


def policy_read(policy: rules.Policy) -> PolicyRead:
    """The API view of a resolved policy."""
    return PolicyRead(region=policy.region, sources=dict(policy.sources), **rules.nest(policy.values))


STAFF = allow(Role.ADMIN, Role.CLERK, Role.OPERATOR, Role.BANK, Role.AUDITOR, read_only=True)


@router.get("/regions/{code}/policy")
def get_policy(code: str, unit: Annotated[Unit, Depends(STAFF)]) -> PolicyRead:
    """The policy in force for a region, inherited field by field."""
    return policy_read(service.read_policy(unit.session, code))


@router.put("/regions/{code}/policy")
def put_policy(code: str, body: PolicyUpdate, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]) -> PolicyRead:
    """Set or clear (null) policy fields on a region."""
    document: dict[str, Any] = body.model_dump(exclude_unset=True)
    if body.fees is not None:
        document["fees"] = body.fees.model_dump(exclude_unset=True)
    return policy_read(service.update_policy(unit, code, document))


class CalendarDayRead(Out):
    date: date
    working: bool
    source: str = Field(description=f'"{service.OFFICIAL}", or the code of the region whose own entry is in force')
    note: str | None


class CalendarRead(Out):
    region: str
    days: list[CalendarDayRead]


class CalendarDaySet(Body):
    """A region's own working day (true) or day off (false), with the reason."""

    working: StrictBool
    note: Annotated[str, Field(max_length=100)] = ""


def calendar_day_read(day: service.CalendarDay) -> CalendarDayRead:
    """The API view of one calendar day."""
    return CalendarDayRead(date=day.day, working=day.working, source=day.source, note=day.note)


@router.get("/regions/{code}/calendar")
def get_calendar(
    code: str,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    unit: Annotated[Unit, Depends(STAFF)],
) -> CalendarRead:
    """Each day from `from` to `to` in a region: worked or not, and whose calendar says so."""
    days = service.calendar_days(unit.session, code, start, end)
    return CalendarRead(region=code, days=[calendar_day_read(day) for day in days])


@router.put("/regions/{code}/calendar/{day}")
def put_calendar_day(
    code: str, day: date, body: CalendarDaySet, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]
) -> CalendarDayRead:
    """Make a day a working day or a day off in a region and the regions under it."""
    return calendar_day_read(service.set_day(unit, code, day, body.working, body.note))


@router.delete("/regions/{code}/calendar/{day}", status_code=status.HTTP_204_NO_CONTENT)
def delete_calendar_day(code: str, day: date, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]) -> Response:
    """Remove a region's own entry for a day, so it inherits again."""
    service.clear_day(unit, code, day)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
