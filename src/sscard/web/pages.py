"""Rendering a page: templates (autoescaped), language, security headers, static files."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sscard.clock import CHINA_STANDARD_TIME
from sscard.errors import ServiceError
from sscard.guide.build import CATALOGS, format_yuan
from sscard.guide.catalog import Language
from sscard.guide.language import negotiate
from sscard.loss import rules
from sscard.web import texts
from sscard.web.session import CSRF_FIELD, LANGUAGE_COOKIE, csrf_token, renew_session, set_cookies, signed_in

HERE = Path(__file__).parent
STATIC = HERE / "static"

# No inline script or style anywhere, and nothing from another host.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fingerprints() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in STATIC.iterdir() if p.is_file()}


STATIC_VERSIONS = _fingerprints()


def static_url(name: str) -> str:
    """A static file's URL with its content's fingerprint, so it may be cached for good."""
    return f"/static/{name}?v={STATIC_VERSIONS[name]}"


def language_of(request: Request) -> Language:
    """The language chosen on the switch, else the browser's, else zh-CN."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in (Language.ZH_CN.value, Language.EN.value):
        return Language(chosen)
    return negotiate(request.headers.get("accept-language"))


class FormErrors:
    """What went wrong with a form: each message by its field, for the summary and the field."""

    def __init__(self) -> None:
        self.by_field: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def get(self, field: str) -> str | None:
        return self.by_field.get(field)


def refusal_errors(language: Language, exc: ServiceError, fields: Mapping[str, str]) -> FormErrors:
    """A service's refusal as sentences, placed at the field it concerns.

    `fields` maps a refusal code (or the service's own field name) to the form field."""
    errors = FormErrors()
    values = {"detail": exc.detail, **{k: v for k, v in exc.extra.items() if isinstance(v, str)}}
    if exc.code == "documents_missing":
        values["missing"] = missing_phrase(language, exc.extra.get("missing", []))
    key = f"error.{exc.code}"
    if key not in texts.TEXTS[language]:
        key = "error.other"
    field = fields.get(exc.code) or fields.get(str(exc.extra.get("field", ""))) or fields.get("*", "summary")
    errors.add(field, texts.text(language, key, **values))
    return errors


# A missing requirement is named by its first document; the clerk is told every
# document that would meet it.
_ALTERNATIVES = {req[0]: req for req in rules.identity_requirements(rules.Relation.SELF)}


def missing_phrase(language: Language, missing: list[str]) -> str:
    """The missing documents as the guide names them: "resident ID card or household register, a recent photo"."""
    catalog = CATALOGS[language]
    return catalog.list_separator.join(
        catalog.alternative_separator.join(texts.document_name(language, d) for d in _ALTERNATIVES.get(first, (first,)))
        for first in missing
    )


def china_time(at: datetime) -> str:
    """An instant as a clerk in China reads it."""
    return at.astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M")


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200) -> Response:
    """The page, in the caller's language, with the security headers and the CSRF cookie."""
    language = language_of(request)
    principal = signed_in(request)
    values = {
        "t": partial(texts.text, language),
        "document_name": partial(texts.document_name, language),
        "yuan": format_yuan,
        "china_time": china_time,
        "lang": language.value,
        "static_url": static_url,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "principal": principal,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "errors": FormErrors(),
        **(context or {}),
    }
    html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    response.headers["Content-Language"] = language.value
    set_cookies(request, response)
    if principal is not None:
        renew_session(request, response, principal)
    return response


def static_file(name: str) -> Response:
    """A file of web/static, cached for a year: its URL changes when its content does."""
    if name not in STATIC_VERSIONS:
        return Response(status_code=404)
    media = {"css": "text/css; charset=utf-8", "svg": "image/svg+xml", "js": "text/javascript; charset=utf-8"}.get(
        name.rsplit(".", 1)[-1], "text/plain"
    )
    return Response(
        (STATIC / name).read_bytes(),
        media_type=media,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "ETag": f'"{STATIC_VERSIONS[name]}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
