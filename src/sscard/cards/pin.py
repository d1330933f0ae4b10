"""PINs (R-CARD-3): a keyed hash instead of the bank HSM's PIN key, and the try counter."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

PIN_PATTERN = re.compile(r"\A[0-9]{6}\Z")


def is_pin(value: str) -> bool:
    """Six ASCII digits."""
    return bool(PIN_PATTERN.match(value))


class PinHasher:
    """HMAC-SHA256 under a key derived from the server secret.

    Not a slow password hash: every settlement checks a PIN, and a PIN's strength
    comes from the try limit, not from the hash. The card number is in the message so
    that equal PINs on two cards never share a hash.
    """

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"sscard/pin-key/v1", hashlib.sha256).digest()

    def hash(self, card_no: str, pin: str) -> str:
        """The stored form of a card's PIN."""
        message = f"{card_no}:{pin}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def verify(self, card_no: str, pin: str, stored: str | None) -> bool:
        """Whether the PIN matches, in constant time."""
        if stored is None:
            return False
        return hmac.compare_digest(self.hash(card_no, pin).encode(), stored.encode())


@dataclass(frozen=True, slots=True)
class PinAttempt:
    """The outcome of one PIN entry for the try counter."""

    correct: bool
    failures: int
    locked: bool


def count_attempt(*, correct: bool, failures: int, max_tries: int) -> PinAttempt:
    """R-CARD-3: a right PIN clears the count; max_tries wrong ones in a row lock."""
    if correct:
        return PinAttempt(correct=True, failures=0, locked=False)
    failures += 1
    return PinAttempt(correct=False, failures=failures, locked=failures >= max_tries)
