"""The administrator's pages: the dashboard, the users, the region policy.

The figures come from sscard.dashboard (summary counts and partial indexes); users and
policy go through the services behind the API's own routes, so a form can never allow
what the API refuses (R-SEC-2 included), and a refusal is shown next to its field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from sscard.auth import service as auth_service
from sscard.auth import users
from sscard.auth.passwords import MIN_PASSWORD_LENGTH
from sscard.cards.banks import COOPERATIVE_BANKS
from sscard.dashboard import service as dashboard
from sscard.dashboard.charts import bar_chart
from sscard.dashboard.service import OVERDUE_DAYS, Dashboard
from sscard.db import transaction
from sscard.errors import ServiceError
from sscard.guide.catalog import Language
from sscard.http import runtime, unit_for
from sscard.policy import rules as policy_rules
from sscard.policy import service as policy_service
from sscard.roles import Principal, Role
from sscard.unit import Unit
from sscard.web.access import CsrfChecked, page_caller
from sscard.web.pages import SECURITY_HEADERS, FormErrors, china_time, language_of, refusal_errors, render
from sscard.web.texts import TEXTS, text

router = APIRouter(prefix="/admin", include_in_schema=False)

T = TypeVar("T")
Admin = Annotated[Principal, Depends(page_caller(Role.ADMIN))]
# The roles an admin may give a new login (terminals are made under their institution).
CREATABLE_ROLES = (Role.CLERK, Role.OPERATOR, Role.BANK, Role.AUDITOR, Role.ADMIN, Role.CARDHOLDER)
MOVABLE_ROLES = (Role.CLERK, Role.OPERATOR, Role.AUDITOR, Role.ADMIN)
POLICY_FIELDS = policy_rules.FIELDS
USER_FIELDS = {"user_exists": "username", "unknown_region": "region", "out_of_region": "region", "*": "summary"}
USER_PAGE = 50


def in_unit(request: Request, caller: Principal, work: Callable[[Unit], T]) -> T:
    """Run the work in one unit of work of the caller: committed when it returns."""
    with transaction(runtime(request).sessions) as db:
        return work(unit_for(request, db, caller))


def field_id(name: str) -> str:
    """A policy field as an HTML id ("fees.lost" → "fees-lost")."""
    return name.replace(".", "-")


def _refusal(language: Language, exc: ServiceError, fields: Mapping[str, str]) -> FormErrors:
    """A refusal at its field; the API's generic invalid_request said for the field it names."""
    field = str(exc.extra.get("field", ""))
    if exc.code == "invalid_request" and f"admin.error.{field}" in TEXTS[language]:
        errors = FormErrors()
        errors.add(fields.get(field, field), text(language, f"admin.error.{field}"))
        return errors
    if exc.code == "weak_password":
        errors = FormErrors()
        errors.add(fields.get("password", "password"), text(language, "error.weak_password", n=MIN_PASSWORD_LENGTH))
        return errors
    return refusal_errors(language, exc, fields)


# --- the dashboard ---


def _age(now: datetime, since: datetime | None, language: Language) -> str:
    if since is None:
        return ""
    seconds = max(int((now - since).total_seconds()), 0)
    return text(language, "dash.age_value", days=seconds // 86400, hours=seconds % 86400 // 3600)


def _dashboard_view(figures: Dashboard, language: Language) -> dict[str, Any]:
    hours = [(china_time(h.start)[-5:], (h.approved, h.declined)) for h in figures.settlements]
    losses = [(text(language, f"channel.{channel}"), (n,)) for channel, n in figures.losses]
    return {
        "d": figures,
        "settlement_chart": bar_chart(hours, label_every=4),
        "loss_chart": bar_chart(losses),
        "approved_total": sum(h.approved for h in figures.settlements),
        "declined_total": sum(h.declined for h in figures.settlements),
        "loss_total": sum(n for _, n in figures.losses),
        "invalid_total": sum(n for _, _, n in figures.invalid),
        "claims": [(c, _age(figures.now, c.oldest, language)) for c in figures.claims],
        "overdue_days": OVERDUE_DAYS,
    }


@router.get("")
def dashboard_page(request: Request, caller: Admin) -> Response:
    """The figures of the admin's scope."""
    figures = in_unit(request, caller, dashboard.dashboard)
    return render(request, "admin/dashboard.html", _dashboard_view(figures, language_of(request)))


@router.get("/live")
def live(request: Request, caller: Admin) -> Response:
    """The list version and the lagging terminals, for the dashboard's script to poll."""
    figures = in_unit(request, caller, dashboard.live)
    lagging = [
        row
        | {
            "list_synced_at": china_time(datetime.fromisoformat(row["list_synced_at"]))
            if row["list_synced_at"]
            else None
        }
        for row in figures["lagging"]  # type: ignore[attr-defined]
    ]
    body = {
        "list_version": figures["list_version"],
        "lagging": lagging,
        "checked_at": china_time(runtime(request).clock.now()),
    }
    return JSONResponse(body, headers=SECURITY_HEADERS)


# --- users ---


def _users_view(unit: Unit, cursor: int | None) -> dict[str, Any]:
    page, after = users.list_users(unit, cursor, USER_PAGE)
    return {"users": list(page), "next": after, "cursor": cursor}


def _users_page(
    request: Request,
    caller: Principal,
    *,
    form: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    notice: str | None = None,
    cursor: int | None = None,
    status: int = 200,
) -> Response:
    view = in_unit(request, caller, lambda unit: _users_view(unit, cursor))
    context = view | {
        "form": form or {"region": caller.region},
        "roles": CREATABLE_ROLES,
        "banks": COOPERATIVE_BANKS,
        "min_password": MIN_PASSWORD_LENGTH,
        "notice": notice,
        "errors": errors or FormErrors(),
    }
    return render(request, "admin/users.html", context, status=status)


@router.get("/users")
def users_page(request: Request, caller: Admin, cursor: int | None = None) -> Response:
    """The logins of the admin's scope, a page at a time, and the form to create one."""
    return _users_page(request, caller, cursor=cursor)


@router.post("/users")
def create_user(
    request: Request,
    caller: Admin,
    _: CsrfChecked,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    region: Annotated[str, Form(max_length=6)] = "",
    person_id: Annotated[str, Form(max_length=12)] = "",
    bank: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Create a login, as POST /v1/users does."""
    language = language_of(request)
    form = {"username": username, "role": role, "region": region, "person_id": person_id, "bank": bank}
    errors = FormErrors()
    if role not in {r.value for r in CREATABLE_ROLES}:
        errors.add("role", text(language, "admin.error.role"))
    person = person_id.strip()
    if person and not person.isdigit():
        errors.add("person_id", text(language, "error.not_a_number"))
    if errors:
        return _users_page(request, caller, form=form, errors=errors, status=422)
    new = auth_service.NewUser(
        username=username.strip(),
        password=password,
        role=Role(role),
        region=region.strip(),
        person_id=int(person) if person else None,
        bank=bank or None,
    )
    try:
        in_unit(request, caller, lambda unit: auth_service.create_user(unit, new))
    except ServiceError as exc:
        fields = USER_FIELDS | ({"not_found": "person_id"} if person else {})
        if exc.code == "not_found":
            errors.add("person_id", text(language, "error.unknown_person"))
        else:
            errors = _refusal(language, exc, fields)
        return _users_page(request, caller, form=form, errors=errors, status=exc.status)
    return _users_page(request, caller, notice=text(language, "result.user_created", username=new.username))


def _user_page(
    request: Request,
    caller: Principal,
    username: str,
    *,
    errors: FormErrors | None = None,
    notice: str | None = None,
    form: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    try:
        user = in_unit(request, caller, lambda unit: users.find_user(unit, username))
    except ServiceError as exc:
        refused = refusal_errors(language_of(request), exc, {})
        return render(request, "refused.html", {"errors": refused}, status=exc.status)
    context = {
        "user": user,
        "tied": user.role in {Role.BANK.value, Role.CARDHOLDER.value, Role.TERMINAL.value},
        "roles": MOVABLE_ROLES,
        "min_password": MIN_PASSWORD_LENGTH,
        "form": form or {"role": user.role, "region": user.region_code},
        "errors": errors or FormErrors(),
        "notice": notice,
    }
    return render(request, "admin/user.html", context, status=status)


@router.get("/users/{username}")
def user_page(request: Request, caller: Admin, username: str) -> Response:
    """One login: move it, disable it, reset its password."""
    return _user_page(request, caller, username)


@router.post("/users/{username}")
def change_user(
    request: Request,
    caller: Admin,
    _: CsrfChecked,
    username: str,
    role: Annotated[str, Form(max_length=16)] = "",
    region: Annotated[str, Form(max_length=6)] = "",
    disabled: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Move or disable a login, as PATCH /v1/users/{username} does; in force at once (R-SEC-2)."""
    language = language_of(request)
    form = {"role": role, "region": region}
    if role not in {r.value for r in Role}:
        errors = FormErrors()
        errors.add("role", text(language, "admin.error.role"))
        return _user_page(request, caller, username, errors=errors, form=form, status=422)
    change = users.LoginChange(role=Role(role), region=region.strip() or None, disabled=disabled == "on")
    try:
        in_unit(request, caller, lambda unit: users.change_user(unit, username, change))
    except ServiceError as exc:
        errors = _refusal(language, exc, {**USER_FIELDS, "role": "role", "region": "region"})
        return _user_page(request, caller, username, errors=errors, form=form, status=exc.status)
    return _user_page(request, caller, username, notice=text(language, "result.user_changed", username=username))


@router.post("/users/{username}/password")
def reset_password(
    request: Request,
    caller: Admin,
    _: CsrfChecked,
    username: str,
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Give a login a new password, as POST /v1/users/{username}/password does (R-SEC-2)."""
    language = language_of(request)
    try:
        in_unit(request, caller, lambda unit: users.reset_password(unit, username, password))
    except ServiceError as exc:
        errors = _refusal(language, exc, {"password": "new_password", "*": "summary"})
        return _user_page(request, caller, username, errors=errors, status=exc.status)
    return _user_page(request, caller, username, notice=text(language, "result.password_reset", username=username))


# --- region policy ---


def _own_overrides(unit: Unit, code: str) -> dict[str, Any]:
    from sscard.policy.models import RegionPolicyRow

    row = unit.session.get(RegionPolicyRow, code)
    return dict(row.overrides) if row else {}


def _policy_view(unit: Unit, code: str) -> dict[str, Any]:
    policy = policy_service.read_policy(unit.session, code)
    own = _own_overrides(unit, code)
    rows = [
        {
            "name": name,
            "id": field_id(name),
            "value": policy.values[name],
            "source": policy.sources[name],
            "own": "" if own.get(name) is None else str(own[name]),
        }
        for name in POLICY_FIELDS
    ]
    return {"region": code, "rows": rows, "writable": unit.actor.region == code or _covers(unit, code)}


def _covers(unit: Unit, code: str) -> bool:
    try:
        unit.actor.require_region(code)
    except ServiceError:
        return False
    return True


def _policy_page(
    request: Request,
    caller: Principal,
    code: str,
    *,
    errors: FormErrors | None = None,
    typed: Mapping[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    language = language_of(request)
    try:
        view = in_unit(request, caller, lambda unit: _policy_view(unit, code))
    except ServiceError as exc:
        refused = FormErrors()
        refused.add(
            "region", text(language, "error.unknown_region" if exc.status == 404 else "error.other", detail=exc.detail)
        )
        view = {"region": code, "rows": [], "writable": False}
        return render(request, "admin/policy.html", view | {"errors": refused, "notice": None}, status=exc.status)
    if typed is not None:
        for row in view["rows"]:
            row["own"] = typed.get(row["name"], row["own"])
    return render(
        request, "admin/policy.html", view | {"errors": errors or FormErrors(), "notice": notice}, status=status
    )


@router.get("/policy")
def policy_page(request: Request, caller: Admin, region: str | None = None) -> Response:
    """A region's policy: each value in force and the region it comes from, and its own settings."""
    return _policy_page(request, caller, (region or caller.region).strip())


def _document(
    typed: Mapping[str, str], own: Mapping[str, Any], language: Language, errors: FormErrors
) -> dict[str, Any]:
    """The PUT …/policy document of a form: what changed, "" clearing a value of its own."""
    document: dict[str, Any] = {}
    for name in POLICY_FIELDS:
        given = typed.get(name, "").strip()
        before = "" if own.get(name) is None else str(own[name])
        if given == before:
            continue
        value: Any = None
        if given and name != "hotline":
            try:
                value = int(given)
            except ValueError:
                errors.add(field_id(name), text(language, "error.not_a_number"))
                continue
        elif given:
            value = given
        head, _, tail = name.partition(".")
        if tail:
            document.setdefault(head, {})[tail] = value
        else:
            document[name] = value
    return document


def _policy_refusal(language: Language, field: str) -> str:
    if field in policy_rules.INT_BOUNDS:
        low, high = policy_rules.INT_BOUNDS[field]
        return text(language, "error.policy_bounds", low=low, high=high)
    return text(language, "error.policy_hotline")


@router.post("/policy")
async def save_policy(request: Request, caller: Admin, _: CsrfChecked, region: str) -> Response:
    """Set or clear this region's own settings, as PUT /v1/regions/{code}/policy does."""
    language = language_of(request)
    form = await request.form()
    typed = {name: str(form.get(field_id(name), "")) for name in POLICY_FIELDS}
    errors = FormErrors()

    def save(unit: Unit) -> None:
        document = _document(typed, _own_overrides(unit, region), language, errors)
        if not errors and document:
            policy_service.update_policy(unit, region, document)

    try:
        in_unit(request, caller, save)
    except ServiceError as exc:
        field = str(exc.extra.get("field", ""))
        errors = FormErrors()
        if field in POLICY_FIELDS:
            errors.add(field_id(field), _policy_refusal(language, field))
        else:
            errors = refusal_errors(language, exc, {"*": "summary"})
        return _policy_page(request, caller, region, errors=errors, typed=typed, status=exc.status)
    if errors:
        return _policy_page(request, caller, region, errors=errors, typed=typed, status=422)
    return _policy_page(request, caller, region, notice=text(language, "result.policy_saved", region=region))
