"""The guide's API shapes (API.md `GET /v1/guide`)."""

from __future__ import annotations

from pydantic import Field

from sscard.guide.build import Guide, Step
from sscard.guide.catalog import Language
from sscard.guide.plans import Situation
from sscard.people.schemes import Scheme
from sscard.schemas import Out


class StepRead(Out):
    title: str
    detail: str
    where: str
    documents: list[str] = Field(description="machine names of the papers to bring, as the API's `documents` use them")
    documents_text: list[str] = Field(description="the same papers named in the response's language, in order")
    legal_basis: list[str] = Field(description="the articles of law the step rests on")
    rules: list[str] = Field(description="the DOMAIN rule IDs the step comes from, e.g. R-LOSS-1")


class GuideRead(Out):
    language: Language
    region: str
    situation: Situation
    scheme: Scheme
    hotline: str
    production_working_days: int
    fee: int | None = Field(description="the replacement fee in fen; null when nothing is replaced (found)")
    steps: list[StepRead]


def step_read(step: Step) -> StepRead:
    """The API view of one step."""
    return StepRead(
        title=step.title,
        detail=step.detail,
        where=step.where,
        documents=list(step.documents),
        documents_text=list(step.documents_text),
        legal_basis=list(step.legal_basis),
        rules=list(step.rules),
    )


def guide_read(guide: Guide) -> GuideRead:
    """The API view of a guide."""
    return GuideRead(
        language=guide.language,
        region=guide.region,
        situation=guide.situation,
        scheme=guide.scheme,
        hotline=guide.hotline,
        production_working_days=guide.production_working_days,
        fee=guide.fee,
        steps=[step_read(step) for step in guide.steps],
    )
