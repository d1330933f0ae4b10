"""Sign-in and user routes."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Header, status
from pydantic import Field

from sscard.auth import service
from sscard.auth.roles import Role
from sscard.http import allow, anonymous
from sscard.schemas import Body, Out, RegionCode
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["auth"])


class TokenRead(Out):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


class UserCreate(Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    role: Role
    region: RegionCode
    person_id: int | None = None
    bank: str | None = Field(default=None, max_length=16)


class UserRead(Out):
    user_id: int
    username: str
    role: Role
    region: str
    person_id: int | None
    bank: str | None
    created_at: datetime


@router.post("/auth/token")
def token(
    unit: Annotated[Unit, Depends(anonymous)],
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenRead:
    """OAuth2 token: `password` for staff and cardholders, `client_credentials` for
    terminals (client_id and client_secret in the form, or as HTTP Basic, RFC 6749 §2.3.1)."""
    if client_id is None and authorization:
        client_id, client_secret = basic_credentials(authorization)
    form = {"username": username, "password": password, "client_id": client_id, "client_secret": client_secret}
    access_token = service.issue_token(unit, grant_type, form)
    return TokenRead(access_token=access_token, expires_in=int(unit.runtime.tokens.ttl.total_seconds()))


def basic_credentials(authorization: str) -> tuple[str | None, str | None]:
    """The client id and secret of an `Authorization: Basic` header (form-encoded, then
    base64, as RFC 6749 §2.3.1 has it), or (None, None) for any other header."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, client_secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(client_secret)


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, unit: Annotated[Unit, Depends(allow(Role.ADMIN))]) -> UserRead:
    """Create a login (no password in the response)."""
    user = service.create_user(unit, service.NewUser(**body.model_dump()))
    return UserRead(
        user_id=user.id,
        username=user.username,
        role=user.role,
        region=user.region_code,
        person_id=user.person_id,
        bank=user.bank,
        created_at=user.created_at,
    )
