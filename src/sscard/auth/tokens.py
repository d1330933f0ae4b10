"""Signed, short-lived bearer tokens (PyJWT, HS256)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import jwt

from sscard.auth.roles import Principal, Role
from sscard.errors import Unauthenticated

ALGORITHM = "HS256"
ISSUER = "sscard"


class TokenSigner:
    """Issues and verifies access tokens under a key derived from the server secret."""

    def __init__(self, secret: bytes, ttl: timedelta) -> None:
        self._key = hmac.new(secret, b"sscard/token-key/v1", hashlib.sha256).digest()
        self.ttl = ttl

    def issue(self, principal: Principal, now: datetime) -> str:
        """A token that stands for the principal until now + ttl."""
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": principal.subject,
            "role": principal.role.value,
            "region": principal.region,
            "iat": now,
            "exp": now + self.ttl,
        }
        optional = {"pid": principal.person_id, "bank": principal.bank, "iid": principal.institution_id}
        claims.update({claim: value for claim, value in optional.items() if value is not None})
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, now: datetime) -> Principal:
        """The principal of a valid token; raises Unauthenticated."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                # Time is the service clock's, not the machine's: expiry is checked
                # below against `now`, and an issue time ahead of this machine's clock
                # (a peer's clock slightly ahead, a test clock) is no reason to refuse.
                options={"require": ["exp", "iat", "sub", "role"], "verify_exp": False, "verify_iat": False},
            )
            if claims["exp"] <= now.timestamp():
                raise Unauthenticated("the token has expired")
            return Principal(
                subject=claims["sub"],
                role=Role(claims["role"]),
                region=claims.get("region", ""),
                person_id=claims.get("pid"),
                bank=claims.get("bank"),
                institution_id=claims.get("iid"),
            )
        except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
            raise Unauthenticated("the token is not valid") from exc
