"""The web shell's shared parts: problem+json, request IDs, metrics and access."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordBearer
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sscard import problem_texts
from sscard.auth.access import Grant, still_granted
from sscard.auth.users import current_generation
from sscard.clock import token_time
from sscard.context import language_var, request_id_var
from sscard.db import CommitOutcomeUnknown, WorkAbandoned, WorkGuard, one_line, outage_of, transaction
from sscard.errors import Forbidden, ServiceError, Unauthenticated, problem_body
from sscard.idempotency import recorded, written_under
from sscard.institutions.service import current_terminal_generation
from sscard.outages import RETRY_AFTER_SECONDS, Outage, Reason
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
    it in /metrics, adds the headers every response carries (issue 11), and lets its
    unit of work learn that its client has left (ClientWatch, issue 14).

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
        watch = scope[CLIENT_WATCH] = ClientWatch(receive)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_headers(list(message.get("headers", [])), request_id, private=private)
            await send(message)

        try:
            await self._answer(scope, watch.receive, send_with_id, lambda: status)
        finally:
            watch.stop()
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
                method, path, reason = scope["method"], scope["path"], outage.reason
                log.warning("%s %s: %s (%s; %s)", method, path, outage.code, reason, one_line(_sole(exc)))
            if status():
                raise
            if outage is not None:
                await outage_response(outage)(scope, receive, send)
                return
            await problem(500, "internal_error", "Internal error", "an unexpected error occurred")(scope, receive, send)


CLIENT_WATCH = "sscard.client_watch"


class ClientWatch:
    """Issue 14: a request's connection, watched for its client's leaving once its unit
    of work asks (`guard`), so that work nobody waits for any more is not committed.

    Nothing reads the connection while a handler runs: the body has been read, and the
    server's next message, the client's leaving, waits for a reader. Until a guard is
    asked for, `receive` is the server's own (the online settlement watches for itself);
    from then on one task reads the server, hands each message on in turn (a body not
    yet read still streams through, one message at a time), and when the client leaves
    it abandons the guard, whose unit then rolls back instead of sending its COMMIT.
    """

    def __init__(self, receive: Receive) -> None:
        self._server = receive
        self._guard: WorkGuard | None = None
        self._messages: asyncio.Queue[Message] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        """The request's next message, as the server's receive gives it."""
        if self._messages is None:
            return await self._server()
        return await self._messages.get()

    def guard(self) -> WorkGuard:
        """The request's guard, abandoned (client_gone) when its client leaves. On the
        event loop, while nothing else is receiving (a dependency's, after the body)."""
        if self._guard is None:
            self._guard, self._messages = WorkGuard(), asyncio.Queue(maxsize=1)
            self._reader = asyncio.create_task(self._read(self._guard, self._messages))
        return self._guard

    async def _read(self, guard: WorkGuard, messages: asyncio.Queue[Message]) -> None:
        message = await self._server()
        while message["type"] != "http.disconnect":
            await messages.put(message)
            message = await self._server()
        # After the response the server says "disconnect" too; the COMMIT was sent by then.
        guard.abandon(Reason.CLIENT_GONE)
        while True:  # every later receive hears of the leaving, as from the server
            await messages.put({"type": "http.disconnect"})

    def stop(self) -> None:
        """The request is answered: stop reading."""
        if self._reader is not None:
            self._reader.cancel()


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

    @app.exception_handler(Answered)
    async def _answered(_: Request, answered: Answered) -> Response:
        return answered.response

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


async def work_guard(request: Request) -> WorkGuard:
    """The request's WorkGuard: abandoned when its client leaves (ClientWatch); an
    application without RequestMiddleware gets one that nobody abandons."""
    watch: ClientWatch | None = request.scope.get(CLIENT_WATCH)
    return WorkGuard() if watch is None else watch.guard()


def session(request: Request, guard: Annotated[WorkGuard, Depends(work_guard)]) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, before the
    response is sent, and rolled back when it raises.

    Issue 14: rolled back too when its client left before its COMMIT was sent (503
    service_unavailable, to nobody: no change that nobody was told of). A COMMIT that
    lost its reply is answered from the record the work wrote under its
    Idempotency-Key, if it wrote one (`resolved`); else 503 outcome_unknown."""
    rt = runtime(request)
    try:
        with transaction(rt.sessions, guard) as db:
            yield db
    except CommitOutcomeUnknown:
        written = written_under(db)
        if written is None:
            raise
        raise Answered(resolved(rt, *written, guard)) from None


class Answered(Exception):
    """The answer to a request, known only once its handler had returned (a dependency's
    exit resolved its COMMIT): sent in place of the handler's response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


# Between two attempts to read a key's record while the database restarts.
RESOLVE_PAUSE_SECONDS = 0.2


def resolved(rt: Runtime, owner: str, key: str, guard: WorkGuard) -> JSONResponse:
    """Issue 14: the COMMIT's reply was lost; the key's record, read on a fresh
    connection as soon as the database answers, says whether it took effect: its
    answer when it did, WorkAbandoned (503 service_unavailable) when it did not, and
    CommitOutcomeUnknown when the record cannot be read within a settlement's
    deadline or before the request is given up."""
    deadline = time.monotonic() + rt.settings.settlement_deadline_seconds
    while not guard.abandoned:
        try:
            stored = recorded(rt.sessions, owner, key)
        except (DBAPIError, PoolTimeout) as exc:
            if outage_of(exc) is None or time.monotonic() > deadline:
                raise CommitOutcomeUnknown("the idempotency record could not be read") from exc
            time.sleep(RESOLVE_PAUSE_SECONDS)
            continue
        if stored is None:  # nothing committed: an outage like any other
            raise WorkAbandoned("the work did not commit", Reason.CONNECTION_LOST)
        status_code, body = stored
        refused = status_code >= 400
        return JSONResponse(body, status_code=status_code, media_type=PROBLEM_JSON if refused else None)
    raise CommitOutcomeUnknown("given up before the idempotency record could be read")


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
