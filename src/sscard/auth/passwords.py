"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8
# Verified against when a username is unknown, so that a wrong name costs as long as
# a wrong password and login timing does not reveal which names exist.
_DUMMY_PASSWORD = "sscard-no-such-user"  # noqa: S105 (never a login: see above)


class Passwords:
    """Hash and verify passwords; the profile is an argon2 `profiles` name."""

    def __init__(self, profile: str = "RFC_9106_LOW_MEMORY") -> None:
        self._hasher = PasswordHasher.from_parameters(getattr(profiles, profile))
        self._dummy_hash = self._hasher.hash(_DUMMY_PASSWORD)

    def hash(self, password: str) -> str:
        """The stored form of a password."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether the password matches; a missing user costs the same time."""
        try:
            return self._hasher.verify(stored or self._dummy_hash, password) and bool(stored)
        except (VerificationError, InvalidHashError, ValueError):  # ValueError: a corrupt stored hash
            return False
