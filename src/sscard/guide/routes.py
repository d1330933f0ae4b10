"""`GET /v1/guide`: what to do, for anyone, in the region's own terms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from sscard.guide.build import build_guide
from sscard.guide.language import negotiate
from sscard.guide.plans import Situation
from sscard.guide.schemas import GuideRead, guide_read
from sscard.http import anonymous
from sscard.people.schemes import Scheme
from sscard.policy.service import get_region, policy_for
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["guide"])


@router.get("/guide")
def get_guide(
    situation: Annotated[Situation, Query(description="what happened to the card")],
    scheme: Annotated[Scheme, Query(description="the person's insurance scheme")],
    region: Annotated[str, Query(description="the 6-digit code of the region where the person is insured")],
    response: Response,
    unit: Annotated[Unit, Depends(anonymous)],
    accept_language: Annotated[str | None, Header()] = None,
) -> GuideRead:
    """The ordered steps for a situation, scheme and region, with the law behind each;
    zh-CN unless Accept-Language prefers en."""
    get_region(unit.session, region)
    language = negotiate(accept_language)
    # The same policy the counter enforces, so the guide and the services cannot disagree.
    guide = build_guide(situation, scheme, policy_for(unit.session, region), language)
    response.headers["Content-Language"] = language.value
    response.headers["Vary"] = "Accept-Language"
    return guide_read(guide)
