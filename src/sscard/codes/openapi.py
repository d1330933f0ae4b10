"""The codes in the OpenAPI document: enums with their zh-CN and en labels, the
documents each body accepts, and the client-credentials flow for terminals."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI

from sscard.claims.rules import DOCUMENTS as CLAIM_DOCUMENTS
from sscard.codes.labels import CATEGORIES, DOCUMENTS, FAMILIES, Labels
from sscard.loss.cancellation_rules import DOCUMENTS as CANCELLATION_DOCUMENTS
from sscard.loss.rules import DOCUMENTS as LOSS_DOCUMENTS

TOKEN_URL = "/v1/auth/token"  # noqa: S105 (a path)
# Which documents each body's `documents` list takes: the same sets the services check.
DOCUMENT_FIELDS: dict[str, frozenset[str]] = {
    "LossReportCreate": LOSS_DOCUMENTS,
    "ReplacementCreate": LOSS_DOCUMENTS,
    "CancellationCreate": CANCELLATION_DOCUMENTS,
    "ClaimCreate": CLAIM_DOCUMENTS,
}
# Bodies whose `category` is a plain string, so an unknown one is refused 402
# category_not_allowed (R-SET-1) rather than 422: the enum is documentation only.
CATEGORY_FIELDS = ("SettlementCreate", "OfflineTransaction")


def enum_schema(codes: Iterable[str], labels: Labels) -> dict[str, Any]:
    """A string enum whose description and extensions give each code's labels."""
    ordered = [str(code) for code in codes]
    lines = [f"- `{code}`: {labels[code][0]} / {labels[code][1]}" for code in ordered]
    return {
        "type": "string",
        "enum": ordered,
        "description": "\n".join(lines),
        "x-enum-descriptions": [f"{labels[code][0]} / {labels[code][1]}" for code in ordered],
        "x-enum-labels": {code: {"zh-CN": labels[code][0], "en": labels[code][1]} for code in ordered},
    }


def annotate(document: dict[str, Any]) -> dict[str, Any]:
    """Add the labels and flows to a generated OpenAPI document, in place."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name, (enum, labels) in FAMILIES.items():
        if enum is not None and name in schemas:
            schemas[name].update(enum_schema([member.value for member in enum], labels))
    for body, codes in DOCUMENT_FIELDS.items():
        field = schemas.get(body, {}).get("properties", {}).get("documents")
        if field is not None:
            field["items"] = enum_schema(sorted(codes), DOCUMENTS)
            field["description"] = "codes of the documents shown; `GET /v1/documents` says which are needed"
    for body in CATEGORY_FIELDS:
        field = schemas.get(body, {}).get("properties", {}).get("category")
        if field is not None:
            field.update(enum_schema([str(code) for code in CATEGORIES], CATEGORIES))
    _offer_client_credentials(document)
    return document


def _offer_client_credentials(document: dict[str, Any]) -> None:
    """`/docs` signs in staff with the password flow and terminals with client credentials."""
    for scheme in document["components"].get("securitySchemes", {}).values():
        if scheme.get("type") == "oauth2":
            scheme["flows"]["clientCredentials"] = {"tokenUrl": TOKEN_URL, "scopes": {}}
            scheme["description"] = (
                "Staff and cardholders: the password flow. Terminals: the client credentials flow "
                "(client_id and client_secret, in the request body or as HTTP Basic)."
            )


def install(app: FastAPI) -> None:
    """Serve the annotated document at /openapi.json and /docs."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = annotate(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
