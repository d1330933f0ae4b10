"""Signing in and out, the language switch, the static files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sscard.auth.service import sign_in
from sscard.db import transaction
from sscard.errors import ServiceError
from sscard.guide.catalog import Language
from sscard.http import ANONYMOUS, runtime, unit_for
from sscard.roles import Role
from sscard.web.access import CsrfChecked
from sscard.web.pages import FormErrors, language_of, refusal_errors, render, static_file
from sscard.web.session import LANGUAGE_COOKIE, end_session, signed_in, start_session
from sscard.web.texts import text

router = APIRouter(include_in_schema=False)

COUNTER_ROLES = frozenset({Role.CLERK, Role.OPERATOR, Role.BANK})
# Where each role that has pages starts after signing in.
START_PAGES = dict.fromkeys(COUNTER_ROLES, "/counter") | {Role.CARDHOLDER: "/me"}
ONE_YEAR = 365 * 24 * 3600


def local_path(target: str | None) -> str:
    """A redirect target on this site only."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/")
def home(request: Request) -> Response:
    """Staff to their start page; everyone else to sign in."""
    principal = signed_in(request)
    if principal is not None and principal.role in START_PAGES:
        return RedirectResponse(START_PAGES[principal.role], status_code=303)
    return RedirectResponse("/login", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form, for staff and cardholders."""
    return render(request, "login.html", {"username": ""})


@router.post("/login")
def login(
    request: Request,
    _: CsrfChecked,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Sign in with the same service as POST /v1/auth/token."""
    language = language_of(request)
    address = request.client.host if request.client else "unknown"  # R-SEC-3, as the API counts
    try:
        with transaction(runtime(request).sessions) as db:
            principal = sign_in(unit_for(request, db, ANONYMOUS), username.strip(), password, address)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, {"*": "password"})
        status = 429 if exc.status == 429 else 400
        return render(request, "login.html", {"username": username, "errors": errors}, status=status)
    if principal.role not in START_PAGES:
        errors = FormErrors()
        errors.add("username", text(language, "error.forbidden"))
        return render(request, "login.html", {"username": username, "errors": errors}, status=403)
    response = RedirectResponse(START_PAGES[principal.role], status_code=303)
    start_session(request, response, principal)
    return response


@router.post("/logout")
def logout(_: CsrfChecked) -> Response:
    """Sign out at once."""
    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    return response


@router.get("/language")
def choose_language(request: Request, to: str = "zh-CN", next: str = "/") -> Response:  # noqa: A002
    """The language switch: remembered in a cookie, back to the page it was used on."""
    response = RedirectResponse(local_path(next), status_code=303)
    language = Language.EN if to == Language.EN.value else Language.ZH_CN
    response.set_cookie(
        LANGUAGE_COOKIE, language.value, max_age=ONE_YEAR, samesite="lax", secure=request.url.scheme == "https"
    )
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The pages' own stylesheet (nothing from another host)."""
    return static_file(name)
