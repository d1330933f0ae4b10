"""The web shell's shared parts: problem+json, request IDs, metrics and access."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sscard import problem_texts
from sscard.auth.access import Grant, still_granted
from sscard.auth.users import current_generation
from sscard.clock import token_time
from sscard.context import language_var, request_id_var
from sscard.db import one_line, outage_of, transaction
from sscard.errors import Forbidden, ServiceError, Unauthenticated, problem_body
from sscard.institutions.service import current_terminal_generation
from sscard.outages import RETRY_AFTER_SECONDS, Outage
from sscard.roles import Principal, Role
from sscard.unit import Unit

if TYPE_CHECKING:
    from sscard.runtime import Runtime

log = logging.getLogger("sscard.http")

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
_INCOMING_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._:-]{1,64}\Z")

REQUESTS = Counter("sscard_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "sscard_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
OUTAGES = Counter(
    "sscard_database_outages_total",
    "Requests answered 503 because the database did not answer (code: service_unavailable or outcome_unknown)",
    ["code", "reason"],
)


MAX_PATH_LENGTH = 4096
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")


class RequestMiddleware:
    """Gives every request an ID (echoed in the response, an error's included), counts
    it in /metrics, and adds the headers every response carries (issue 11).

    Plain ASGI rather than BaseHTTPMiddleware, so streamed responses pass untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, language = _request_id_and_language(scope)
        tokens = request_id_var.set(request_id), language_var.set(language)
        started, status = time.perf_counter(), 0
        private = scope["path"].startswith("/v1/")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_headers(list(message.get("headers", [])), request_id, private=private)
            await send(message)

        try:
            await self._answer(scope, receive, send_with_id, lambda: status)
        finally:
            _observe(scope, status or 500, time.perf_counter() - started)
            request_id_var.reset(tokens[0])
            language_var.reset(tokens[1])

    async def _answer(self, scope: Scope, receive: Receive, send: Send, status: Callable[[], int]) -> None:
        # Here, not in an exception handler: Starlette runs a handler for Exception
        # outside every middleware, where the request ID is gone.
        try:
            if len(scope["path"]) > MAX_PATH_LENGTH:
                await problem(414, "uri_too_long", "URI too long", f"a path has at most {MAX_PATH_LENGTH} characters")(
                    scope, receive, send
                )
                return
            await self.app(scope, receive, send)
        except Exception as exc:
            outage = outage_of(_sole(exc))
            if outage is None:
                log.exception("unhandled error", exc_info=exc)
            else:  # one line, not a traceback: the database's state is the news, not our stack
                log.warning("%s %s: %s (%s)", scope["method"], scope["path"], outage.code, one_line(_sole(exc)))
            if status():
                raise
            if outage is not None:
                await outage_response(outage)(scope, receive, send)
                return
            await problem(500, "internal_error", "Internal error", "an unexpected error occurred")(scope, receive, send)


def _sole(exc: BaseException) -> BaseException:
    # A task group (a streamed response's) wraps what one of its tasks raised.
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def outage_response(outage: Outage) -> JSONResponse:
    """503 with the truth (issue 14): `service_unavailable` (nothing changed) or
    `outcome_unknown` (retry with the same Idempotency-Key), with Retry-After; counted."""
    OUTAGES.labels(outage.code, outage.reason.value).inc()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return problem(503, outage.code, outage.title, outage.detail, headers=headers)


def _with_headers(headers: list[tuple[bytes, bytes]], request_id: str, *, private: bool) -> list[tuple[bytes, bytes]]:
    headers += [(REQUEST_ID_HEADER.lower().encode(), request_id.encode()), _NOSNIFF]
    # Tokens and personal data must not be kept by a browser or proxy; a route that
    # wants caching (the guide, the list snapshot's ETag) says so itself.
    if private and not any(name == b"cache-control" for name, _ in headers):
        headers.append(_NO_STORE)
    return headers


def _request_id_and_language(scope: Scope) -> tuple[str, str | None]:
    request_id, language = None, None
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _INCOMING_REQUEST_ID.match(candidate):
                request_id = candidate
        elif name == b"accept-language":
            language = value.decode("latin-1")
    return request_id or uuid.uuid4().hex, language


def _observe(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    # The route template, never the raw path: card numbers must not become labels.
    template = str(getattr(route, "path", "unmatched"))
    method = scope["method"]
    REQUESTS.labels(method, template, str(status)).inc()
    LATENCY.labels(method, template).observe(seconds)
    log.info("%s %s %s %.1fms", method, template, status, seconds * 1000)


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An application/problem+json response with a stable code; `extra` members may
    add to the standard ones but never replace them."""
    detail = problem_texts.detail(code, detail, language_var.get())
    body = problem_body(status, code, title, detail, dict(extra or {})) | {"request_id": request_id_var.get()}
    sent = dict(headers or {}) | ({"WWW-Authenticate": "Bearer"} if status == 401 else {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as problem+json."""

    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.title, exc.detail, exc.extra, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "message": e["msg"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "invalid_request", "Invalid request", detail, {"errors": errors})

    @app.exception_handler(DataError)
    async def _does_not_fit(_: Request, exc: DataError) -> JSONResponse:
        # A value the checks let through that a column cannot hold (a 64-bit number
        # into a 32-bit key): the input's fault, not the service's.
        log.warning("a value did not fit its column: %s", exc.orig)
        return problem(422, "invalid_request", "Invalid request", "a value does not fit its field")

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail))


HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def refusal_response(refusal: ServiceError) -> JSONResponse:
    """The problem+json answer to a refusal raised outside a route (contract.RouteGuard)."""
    return problem(refusal.status, refusal.code, refusal.title, refusal.detail, refusal.extra, refusal.headers)


def runtime(request: Request) -> Runtime:
    """The process's runtime, set by the application factory."""
    rt: Runtime = request.app.state.runtime
    return rt


def session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, before the
    response is sent, and rolled back when it raises."""
    with transaction(runtime(request).sessions) as db:
        yield db


# OAuth2 password flow in the OpenAPI document, so /docs can sign a person in.
_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


async def principal(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    """The verified caller; 401 unauthenticated without a valid bearer token."""
    if not token:
        raise Unauthenticated("a bearer token is required")
    rt = runtime(request)
    caller, grant = rt.tokens.check(token, token_time(rt.clock))
    # R-SEC-2, warm: one comparison; the full check only when a second has passed.
    if grant.trusted_until <= rt.tokens.grants.monotonic():
        await run_in_threadpool(_read_grant, rt, caller, grant)
    return _granted(caller, grant)


async def still_granted_now(rt: Runtime, caller: Principal, recheck_seconds: float) -> bool:
    """Whether the caller's login or terminal still stands (R-SEC-2), for a response
    that outlives its request (the list's event stream). A change made in this process
    is seen at once; one made in another is read at most every `recheck_seconds`, so a
    thousand open streams do not each read the database on every change."""
    grants = rt.tokens.grants
    grant = grants.of(caller.grant_key)
    if grants.monotonic() - grant.checked_at >= recheck_seconds:
        await run_in_threadpool(_read_grant, rt, caller, grant)
    return still_granted(caller.generation, grant.generation)


def verified_caller(rt: Runtime, token: str) -> Principal:
    """The same check as `principal`, for a caller already on a worker thread (the
    pages' session cookie): signature, expiry and the login's grant (R-SEC-2)."""
    caller, grant = rt.tokens.check(token, token_time(rt.clock))
    if grant.trusted_until <= rt.tokens.grants.monotonic():
        _read_grant(rt, caller, grant)
    return _granted(caller, grant)


def _granted(caller: Principal, grant: Grant) -> Principal:
    if not still_granted(caller.generation, grant.generation):
        if caller.role is Role.TERMINAL:
            raise Unauthenticated("this terminal was disabled or given a new secret since the token was issued")
        raise Unauthenticated("this login was changed or disabled since the token was issued; sign in again")
    return caller


def _read_grant(rt: Runtime, caller: Principal, grant: Grant) -> None:
    # R-SEC-2: at most once a second per login (or terminal) and process, on a worker thread.
    epoch = grant.epoch
    with rt.read_sessions() as db:
        if caller.role is Role.TERMINAL:
            generation = current_terminal_generation(db, caller.subject)
        else:
            generation = current_generation(db, caller.subject)
        rt.tokens.grants.remember(grant, generation, epoch)


ANONYMOUS = Principal(subject="anonymous", role=Role.CARDHOLDER, region="000000")


def read_session(request: Request) -> Iterator[Session]:
    """A session for a route that only reads (see db.make_read_sessionmaker)."""
    with runtime(request).read_sessions() as db:
        yield db


def allow(*roles: Role, read_only: bool = False) -> Callable[..., Awaitable[Unit]]:
    """The one dependency that decides a route's access: the caller must hold one of
    `roles`; the unit it returns carries the caller into the services, which check
    region scope and ownership where an object is involved."""

    # Async: they only check and assemble, so they run on the event loop instead of
    # costing a hop to a worker thread on every request.
    async def writer(request: Request, db: WriteSession, caller: Caller) -> Unit:
        return _authorized(request, db, caller, roles)

    async def reader(request: Request, db: ReadSession, caller: Caller) -> Unit:
        return _authorized(request, db, caller, roles)

    return reader if read_only else writer


def permit(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Access for a route that opens no database session unless it needs one: the
    caller, when they hold one of `roles`."""

    async def caller(principal: Caller) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"the {principal.role} role may not do this")
        return principal

    return caller


WriteSession = Annotated[Session, Depends(session, scope="function")]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
Caller = Annotated[Principal, Depends(principal)]


def _authorized(request: Request, db: Session, caller: Principal, roles: tuple[Role, ...]) -> Unit:
    if caller.role not in roles:
        raise Forbidden(f"the {caller.role} role may not do this")
    return unit_for(request, db, caller)


async def anonymous(request: Request, db: ReadSession) -> Unit:
    """A unit for routes anyone may call."""
    return unit_for(request, db, ANONYMOUS)


async def anonymous_writer(request: Request, db: WriteSession) -> Unit:
    """A unit that may write, for routes anyone may call (sign-in counts failures)."""
    return unit_for(request, db, ANONYMOUS)


def unit_for(request: Request, db: Session, caller: Principal) -> Unit:
    """The unit of work of a request: its session, the process runtime, the caller, now."""
    rt = runtime(request)
    return Unit(session=db, runtime=rt, actor=caller, now=rt.clock.now(), request_id=request_id_var.get())
