"""The pages' session: the API's own signed token in a cookie, and CSRF tokens.

The session cookie carries exactly what a bearer token carries and is verified by the
same signer on every request, so a page and the API know a caller the same way. CSRF:
a random per-browser secret in its own cookie, and in every form an HMAC of it under a
key derived from the server secret; a POST whose two do not agree is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from sscard.clock import token_time
from sscard.errors import Unauthenticated
from sscard.http import runtime, verified_caller
from sscard.roles import Principal

SESSION_COOKIE = "sscard_session"
CSRF_COOKIE = "sscard_csrf"
LANGUAGE_COOKIE = "sscard_lang"
CSRF_FIELD = "csrf_token"


def _csrf_key(request: Request) -> bytes:
    return hmac.new(runtime(request).settings.secret, b"sscard/web-csrf/v1", hashlib.sha256).digest()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def csrf_secret(request: Request) -> str:
    """This browser's CSRF secret: the cookie's, or a new one (set_csrf_cookie stores it)."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) == 43:
        return existing
    fresh: str | None = getattr(request.state, "new_csrf_secret", None)
    if fresh is None:
        fresh = request.state.new_csrf_secret = secrets.token_urlsafe(32)
    return fresh


def csrf_token(request: Request) -> str:
    """The token a form of this page carries."""
    return hmac.new(_csrf_key(request), csrf_secret(request).encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, given: str | None) -> bool:
    """Whether a POSTed token belongs to this browser's CSRF cookie."""
    secret = request.cookies.get(CSRF_COOKIE)
    if not secret or not given:
        return False
    expected = hmac.new(_csrf_key(request), secret.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def set_cookies(request: Request, response: Response) -> None:
    """Store a CSRF secret made while rendering, if any."""
    fresh = getattr(request.state, "new_csrf_secret", None)
    if fresh is not None:
        response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=_secure(request), path="/")


def start_session(request: Request, response: Response, principal: Principal) -> None:
    """Sign the principal in: a fresh token, and a fresh CSRF secret for the new session."""
    renew_session(request, response, principal)
    response.set_cookie(
        CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def renew_session(request: Request, response: Response, principal: Principal) -> None:
    """A fresh token for the session: a clerk at work stays signed in, an idle one is out
    after the token's lifetime."""
    rt = runtime(request)
    response.set_cookie(
        SESSION_COOKIE,
        rt.tokens.issue(principal, token_time(rt.clock)),
        max_age=int(rt.tokens.ttl.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def end_session(response: Response) -> None:
    """Sign out: the browser forgets the session at once."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def signed_in(request: Request) -> Principal | None:
    """The verified principal of the session cookie, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return verified_caller(runtime(request), token)  # R-SEC-2: a disabled or moved login is out
    except Unauthenticated:
        return None
