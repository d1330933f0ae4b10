"""Signed, short-lived bearer tokens (PyJWT, HS256)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import jwt

from sscard.auth.access import Grant, Grants
from sscard.errors import Unauthenticated
from sscard.roles import Principal, Role

ALGORITHM = "HS256"
ISSUER = "sscard"
VERIFIED_TOKENS = 100_000  # tokens whose signature this process has checked, kept at most


class TokenSigner:
    """Issues and verifies access tokens under a key derived from the server secret."""

    def __init__(self, secret: bytes, ttl: timedelta) -> None:
        self._key = hmac.new(secret, b"sscard/token-key/v1", hashlib.sha256).digest()
        self.ttl = ttl
        self._verified: dict[str, tuple[Principal, float, Grant]] = {}
        self.grants = Grants()

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
        optional = {
            "pid": principal.person_id,
            "bank": principal.bank,
            "iid": principal.institution_id,
            "gen": principal.generation,
        }
        claims.update({claim: value for claim, value in optional.items() if value is not None})
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, now: datetime) -> Principal:
        """The principal of a valid token; raises Unauthenticated."""
        return self.check(token, now)[0]

    def check(self, token: str, now: datetime) -> tuple[Principal, Grant]:
        """The principal of a valid token and the grant of its login or terminal
        (R-SEC-2); raises Unauthenticated."""
        # A terminal sends the same token with every request for its whole life: its
        # signature is checked once, and only its expiry on each later use.
        verified = self._verified.get(token)
        if verified is None:
            verified = self._remember(token)
        principal, expires, grant = verified
        if expires <= now.timestamp():
            raise Unauthenticated("the token has expired")
        return principal, grant

    def _remember(self, token: str) -> tuple[Principal, float, Grant]:
        principal, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.clear()  # tokens live minutes: a full cache is mostly expired
            self.grants.clear()
        grant = self.grants.of(principal.grant_key)
        verified = self._verified[token] = (principal, expires, grant)
        return verified

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                # Time is the service clock's, not the machine's: expiry is checked
                # against `now` in verify, and an issue time ahead of this machine's clock
                # (a peer's clock slightly ahead, a test clock) is no reason to refuse.
                options={"require": ["exp", "iat", "sub", "role"], "verify_exp": False, "verify_iat": False},
            )
            principal = Principal(
                subject=claims["sub"],
                role=Role(claims["role"]),
                region=claims.get("region", ""),
                person_id=claims.get("pid"),
                bank=claims.get("bank"),
                institution_id=claims.get("iid"),
                generation=claims.get("gen"),
            )
            return principal, float(claims["exp"])
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError) as exc:
            raise Unauthenticated("the token is not valid") from exc
