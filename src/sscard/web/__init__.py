"""The pages: server-rendered, in zh-CN and en, on the same services as the API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response


def install_pages(app: FastAPI) -> None:
    """Add the pages to the application."""
    from sscard.web.access import PageRefusal
    from sscard.web.admin import router as admin_router
    from sscard.web.counter import router as counter_router
    from sscard.web.guide_page import router as guide_router
    from sscard.web.me import router as me_router
    from sscard.web.routes import router

    @app.exception_handler(PageRefusal)
    async def _refused(request: Request, exc: PageRefusal) -> Response:
        return exc.response(request)

    app.include_router(router)
    app.include_router(counter_router)
    app.include_router(me_router)
    app.include_router(guide_router)
    app.include_router(admin_router)
