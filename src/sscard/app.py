"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import SecretStr
from sqlalchemy import text
from starlette.datastructures import Address

from sscard import __version__
from sscard.audit.routes import router as audit_router
from sscard.auth.routes import router as auth_router
from sscard.auth.service import ensure_admin
from sscard.banks.routes import router as banks_router
from sscard.cards.routes import router as cards_router
from sscard.claims.routes import router as claims_router
from sscard.codes import openapi as codes_openapi
from sscard.codes.routes import router as codes_router
from sscard.contract import InputGuard, declare_problems
from sscard.db import transaction
from sscard.demo_routes import router as demo_router
from sscard.docs import install_docs
from sscard.errors import Forbidden, Unauthenticated
from sscard.guide.routes import router as guide_router
from sscard.http import RequestMiddleware, install_error_handlers, refusal_response, runtime
from sscard.institutions.routes import router as institutions_router
from sscard.invalid_list.broker import ListBroker
from sscard.invalid_list.mirror import ListMirror
from sscard.invalid_list.routes import router as invalid_list_router
from sscard.invalid_list.stream import router as stream_router
from sscard.jobs import drain_outbox_forever, run_forever
from sscard.loss.routes import router as loss_router
from sscard.migrate import upgrade
from sscard.notifications.routes import router as notifications_router
from sscard.people.routes import router as people_router
from sscard.policy.routes import router as policy_router
from sscard.policy.service import sync_regions
from sscard.runtime import Runtime, build_runtime
from sscard.serving.metrics import exposition
from sscard.settings import Settings
from sscard.settlement.routes import router as settlement_router
from sscard.web import install_pages
from sscard.workers import settle_worker

log = logging.getLogger("sscard")
LOOPBACK = frozenset({"127.0.0.1", "::1"})

DESCRIPTION = """Social security / medical insurance cards: people and accounts, cards,
loss reporting, replacement, the invalid list and settlement. Money is integer fen."""


def prepare_database(rt: Runtime) -> None:
    """Migrate, load the built-in regions and create the bootstrap admin if asked."""
    upgrade(rt.engine)
    with transaction(rt.sessions) as session:
        sync_regions(session)
        user, password = rt.settings.admin_user, rt.settings.admin_password
        if user and password and ensure_admin(session, rt.passwords, user, password.get_secret_value(), rt.clock.now()):
            log.info("created the national admin %r", user)


def serve_app() -> FastAPI:
    """The application as `sscard serve` runs it: in a process of its own, which it
    tunes for a long life once started."""
    return create_app(settle=True)


def _background_tasks(rt: Runtime) -> list[asyncio.Task[None]]:
    """The scheduled jobs (when an interval is set) and the outbox's drainer."""
    tasks = [asyncio.create_task(drain_outbox_forever(rt))]
    if rt.settings.jobs_interval_seconds:
        tasks.append(asyncio.create_task(run_forever(rt, rt.settings.jobs_interval_seconds)))
    return tasks


def create_app(
    settings: Settings | None = None, *, rt: Runtime | None = None, prepare: bool = True, settle: bool = False
) -> FastAPI:
    """The sscard web application; `prepare` migrates the database on start, `settle`
    tunes the process's garbage collector once the application has started."""
    rt = rt or build_runtime(settings or Settings())

    @asynccontextmanager
    async def lifespan(started: FastAPI) -> AsyncIterator[None]:
        if prepare:
            prepare_database(rt)
        background = _background_tasks(rt) if prepare else []
        # The broker reads the database on its own; a caller that prepares the database
        # itself (tests on one rolled-back connection) gets no live stream.
        broker = started.state.list_broker = ListBroker(rt, mirror=ListMirror())
        if prepare:
            await broker.start()
        if settle:
            settle_worker()
        yield
        await broker.stop()
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="sscard",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # sscard's metrics are Prometheus's (/metrics); FastAPI's OpenTelemetry bridge,
        # on by default, looks for configured providers on every request (B1).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = rt
    app.state.database_probe = DatabaseProbe(rt)
    app.add_middleware(InputGuard, max_body=rt.settings.max_body_bytes, answer=refusal_response)
    app.add_middleware(RequestMiddleware)  # outermost: the guard's refusals carry the request ID
    install_error_handlers(app)
    # Routes are matched in this order, router by router: the settlement's first, as the
    # busiest (B1: matching past seven routers cost a settlement about 0.3 ms of CPU),
    # then the probes a load balancer polls (matched after every page, /livez cost
    # about half of its CPU in matching).
    app.include_router(settlement_router)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])
    app.add_api_route("/livez", livez, methods=["GET"], tags=["ops"])
    app.add_api_route("/metrics", metrics, methods=["GET"], tags=["ops"], include_in_schema=False)
    routers = (
        auth_router,
        policy_router,
        people_router,
        cards_router,
        loss_router,
        invalid_list_router,
        stream_router,
        claims_router,
        banks_router,
        notifications_router,
        institutions_router,
        audit_router,
        guide_router,
        codes_router,
    )
    for router in routers:
        app.include_router(router)
    if rt.settings.demo:
        app.include_router(demo_router)
    install_pages(app)
    install_docs(app)
    codes_openapi.install(app)
    declare_errors(app)
    return app


def declare_errors(app: FastAPI) -> None:
    """/openapi.json with every operation's errors as really sent (sscard.contract)."""
    document = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problems(document())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# /healthz answers within a second, whatever the database does (issue 14).
HEALTH_WAIT_SECONDS = 0.8


class DatabaseProbe:
    """Whether the database answers a round trip in time, asked by one thread at a
    time: against a stalled database, health checks wait on the question already
    asked rather than pile up threads and connections."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._asked: asyncio.Future[bool] | None = None

    async def answers(self) -> bool:
        """True when the database answered within HEALTH_WAIT_SECONDS."""
        if self._asked is None or self._asked.done():
            self._asked = asyncio.ensure_future(asyncio.to_thread(self._ask))
        try:
            return await asyncio.wait_for(asyncio.shield(self._asked), HEALTH_WAIT_SECONDS)
        except TimeoutError:
            log.warning("health check: the database did not answer in %.1f s", HEALTH_WAIT_SECONDS)
            return False

    def _ask(self) -> bool:
        try:
            with self._rt.sessions() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 (any failure is "does not answer")
            log.warning("health check: the database does not answer (%s)", type(exc).__name__)
            return False
        return True


async def healthz(request: Request) -> JSONResponse:
    """Readiness: whether the database answers, within a second; 503 while it does not."""
    if not await request.app.state.database_probe.answers():
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "version": __version__})


async def livez() -> JSONResponse:
    """The process answers (no database): for load balancers, and the hello-world baseline of B3."""
    return JSONResponse({"status": "ok"})


def metrics(request: Request) -> Response:
    """Prometheus text exposition of the whole server, its workers' summed, for the
    metrics token's bearer (SSCARD_METRICS_TOKEN); without that setting, for callers on
    this machine only."""
    expected = runtime(request).settings.metrics_token
    if not may_read_metrics(expected, request.headers.get("authorization"), request.client):
        raise Unauthenticated("the metrics token is required") if expected else Forbidden("metrics are read locally")
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def may_read_metrics(expected: SecretStr | None, authorization: str | None, client: Address | None) -> bool:
    """The metrics token's bearer, or with no token set a loopback caller."""
    if expected is None:
        return client is not None and client.host in LOOPBACK
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.get_secret_value().encode())
