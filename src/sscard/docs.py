"""/docs with Swagger UI served from this server (no CDN: intranets have none) under a CSP."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # ships no type information

ASSETS = "/docs/assets"
REDIRECT = "/docs/oauth2-redirect"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    """A CSP allowing only this server's scripts and the page's own inline script, by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _page(html: HTMLResponse) -> HTMLResponse:
    text = bytes(html.body).decode()
    return HTMLResponse(text, headers={"Content-Security-Policy": content_security_policy(text)})


def install_docs(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect page and Swagger UI's files (swagger-ui-bundle)."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    async def docs() -> HTMLResponse:
        return _page(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="sscard — API",
                swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
                oauth2_redirect_url=REDIRECT,
            )
        )

    async def oauth2_redirect() -> HTMLResponse:
        return _page(get_swagger_ui_oauth2_redirect_html())

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
    app.add_api_route(REDIRECT, oauth2_redirect, methods=["GET"], include_in_schema=False)
