"""The guide as a page (/guide), for anyone: situation, scheme, region → steps.

The same builder and region policy as GET /v1/guide, so the page, the API and the
counter cannot disagree on a number, a document or a rule.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from sscard.db import transaction
from sscard.errors import ServiceError
from sscard.guide.build import CATALOGS, Guide, build_guide, fee_phrase
from sscard.guide.catalog import Language
from sscard.guide.plans import Situation
from sscard.http import ANONYMOUS, runtime, unit_for
from sscard.people.schemes import Scheme
from sscard.people.service import find_person
from sscard.policy.models import RegionRow
from sscard.policy.service import get_region, policy_for
from sscard.roles import Role
from sscard.unit import Unit
from sscard.web.pages import FormErrors, language_of, render
from sscard.web.session import signed_in
from sscard.web.texts import text

router = APIRouter(include_in_schema=False)


def _choices(unit: Unit, language: Language) -> dict[str, Any]:
    catalog = CATALOGS[language]
    regions = unit.session.execute(select(RegionRow.code, RegionRow.name).order_by(RegionRow.code)).all()
    return {
        "situations": [(s.value, catalog.situations[s]) for s in Situation],
        "schemes": [(s.value, text(language, f"scheme.{s.value}")) for s in Scheme],
        "regions": [(code, f"{name} ({code})") for code, name in regions],
    }


def _holder_defaults(unit: Unit) -> dict[str, str]:
    """A signed-in holder starts from their own scheme and region."""
    if unit.actor.role is not Role.CARDHOLDER or unit.actor.person_id is None:
        return {}
    person = find_person(unit, unit.actor.person_id)
    return {"scheme": person.scheme, "region": person.region_code}


def _guide_of(unit: Unit, chosen: dict[str, str], language: Language) -> Guide:
    get_region(unit.session, chosen.get("region", ""))
    policy = policy_for(unit.session, chosen["region"])
    return build_guide(Situation(chosen["situation"]), Scheme(chosen["scheme"]), policy, language)


@router.get("/guide")
def guide_page(request: Request, situation: str = "", scheme: str = "", region: str = "") -> Response:
    """The form, and the guide for what was chosen."""
    language = language_of(request)
    caller = signed_in(request) or ANONYMOUS
    errors = FormErrors()
    with transaction(runtime(request).sessions) as db:
        unit = unit_for(request, db, caller)
        view = _choices(unit, language)
        chosen = _holder_defaults(unit) | {k: v for k, v in {"scheme": scheme, "region": region}.items() if v}
        chosen["situation"] = situation
        guide = None
        if situation:
            if situation not in {s.value for s in Situation}:
                errors.add("situation", text(language, "error.invalid_request"))
            if chosen.get("scheme") not in {s.value for s in Scheme}:
                errors.add("scheme", text(language, "error.invalid_request"))
            if not errors:
                try:
                    guide = _guide_of(unit, chosen, language)
                except ServiceError:
                    errors.add("region", text(language, "guide.unknown_region"))
    fee = fee_phrase(guide.fee, CATALOGS[language]) if guide is not None and guide.fee is not None else None
    context = view | {"chosen": chosen, "guide": guide, "fee": fee, "errors": errors}
    return render(request, "guide.html", context, status=422 if errors else 200)
