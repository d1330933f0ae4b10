"""Signing in and out, the language switch, static files, and what every page shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from sscard.auth.roles import Principal, Role
from sscard.auth.service import sign_in
from sscard.db import transaction
from sscard.errors import ServiceError
from sscard.guide.catalog import Language
from sscard.http import ANONYMOUS, runtime, unit_for
from sscard.web.pages import FormErrors, language_of, refusal_errors, render, static_file
from sscard.web.session import CSRF_FIELD, LANGUAGE_COOKIE, csrf_valid, end_session, signed_in, start_session
from sscard.web.texts import text

router = APIRouter(include_in_schema=False)

COUNTER_ROLES = frozenset({Role.CLERK, Role.OPERATOR, Role.BANK})
ONE_YEAR = 365 * 24 * 3600


class PageRefusal(Exception):
    """A page request that ends before its handler: to the sign-in page, or a refusal page."""

    def __init__(self, response: Callable[[Request], Response]) -> None:
        super().__init__("page refused")
        self.response = response


def _to_sign_in(_: Request) -> Response:
    return RedirectResponse("/login", status_code=303)


def refusal_page(key: str, status: int) -> Callable[[Request], Response]:
    """A page saying why, in the caller's language."""

    def page(request: Request) -> Response:
        errors = FormErrors()
        errors.add("summary", text(language_of(request), key))
        return render(request, "refused.html", {"errors": errors}, status=status)

    return page


def page_caller(*roles: Role) -> Callable[[Request], Principal]:
    """The signed-in caller of a page, who must hold one of `roles` (else a 403 page);
    without a valid session, the sign-in page."""

    def caller(request: Request) -> Principal:
        principal = signed_in(request)
        if principal is None:
            raise PageRefusal(_to_sign_in)
        if principal.role not in roles:
            raise PageRefusal(refusal_page("error.forbidden", 403))
        return principal

    return caller


async def csrf_checked(request: Request) -> None:
    """Every POST of a page carries this browser's CSRF token."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not csrf_valid(request, given if isinstance(given, str) else None):
        raise PageRefusal(refusal_page("error.csrf", 403))


CsrfChecked = Annotated[None, Depends(csrf_checked)]


def local_path(target: str | None) -> str:
    """A redirect target on this site only."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/")
def home(request: Request) -> Response:
    """Staff to their start page; everyone else to sign in."""
    principal = signed_in(request)
    if principal is not None and principal.role in COUNTER_ROLES:
        return RedirectResponse("/counter", status_code=303)
    return RedirectResponse("/login", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The staff sign-in form."""
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
    try:
        with transaction(runtime(request).sessions) as db:
            principal = sign_in(unit_for(request, db, ANONYMOUS), username.strip(), password)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, {"*": "password"})
        return render(request, "login.html", {"username": username, "errors": errors}, status=400)
    if principal.role not in COUNTER_ROLES:
        errors = FormErrors()
        errors.add("username", text(language, "error.forbidden"))
        return render(request, "login.html", {"username": username, "errors": errors}, status=403)
    response = RedirectResponse("/counter", status_code=303)
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


def install_pages(app: FastAPI) -> None:
    """Add the pages to the application."""
    from sscard.web.counter import router as counter_router

    @app.exception_handler(PageRefusal)
    async def _refused(request: Request, exc: PageRefusal) -> Response:
        return exc.response(request)

    app.include_router(router)
    app.include_router(counter_router)
