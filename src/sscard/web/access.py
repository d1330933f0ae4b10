"""Who may see a page, and the CSRF check on every POST of a page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from sscard.roles import Principal, Role
from sscard.web.pages import FormErrors, language_of, render
from sscard.web.session import CSRF_FIELD, csrf_valid, signed_in
from sscard.web.texts import text


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
