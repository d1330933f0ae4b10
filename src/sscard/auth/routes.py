"""Sign-in and user routes."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Request, Response, status
from pydantic import Field, StrictBool

from sscard.auth import service, users
from sscard.auth.models import User
from sscard.contract import problem_responses
from sscard.http import allow, anonymous_writer
from sscard.roles import Role
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
    disabled: bool


class UserPage(Out):
    items: list[UserRead]
    next: str | None = Field(description="the cursor of the next page, or null on the last")


class UserChange(Body):
    """Fields given are changed; the login's old tokens end on their next request (R-SEC-2)."""

    role: Role | None = None
    region: RegionCode | None = None
    disabled: StrictBool | None = None


class PasswordReset(Body):
    password: str = Field(max_length=200)


Username = Annotated[str, Path(max_length=64)]
ADMIN = allow(Role.ADMIN)


def user_read(user: User) -> UserRead:
    """The API view of a login (never its password)."""
    return UserRead(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        region=user.region_code,
        person_id=user.person_id,
        bank=user.bank,
        created_at=user.created_at,
        disabled=user.disabled,
    )


@router.post("/auth/token", responses=problem_responses(401, 429))
def token(
    request: Request,
    unit: Annotated[Unit, Depends(anonymous_writer)],
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
    address = request.client.host if request.client else "unknown"
    access_token = service.issue_token(unit, grant_type, form, address)
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
def create_user(body: UserCreate, unit: Annotated[Unit, Depends(ADMIN)]) -> UserRead:
    """Create a login (no password in the response)."""
    return user_read(service.create_user(unit, service.NewUser(**body.model_dump())))


@router.get("/users")
def list_users(
    unit: Annotated[Unit, Depends(allow(Role.ADMIN, read_only=True))],
    cursor: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UserPage:
    """The logins in the admin's scope, oldest first."""
    page, after = users.list_users(unit, cursor, limit)
    return UserPage(items=[user_read(u) for u in page], next=str(after) if after is not None else None)


@router.patch("/users/{username}")
def change_user(username: Username, body: UserChange, unit: Annotated[Unit, Depends(ADMIN)]) -> UserRead:
    """Move a login to another role or region, or disable it; in force on its next request."""
    change = users.LoginChange(role=body.role, region=body.region, disabled=body.disabled)
    return user_read(users.change_user(unit, username, change))


@router.post("/users/{username}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(username: Username, body: PasswordReset, unit: Annotated[Unit, Depends(ADMIN)]) -> Response:
    """Set a login's password; its old tokens end."""
    users.reset_password(unit, username, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
