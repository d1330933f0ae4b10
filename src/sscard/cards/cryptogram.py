"""The offline cryptogram (R-SET-6; API.md "The offline cryptogram"): pure.

A card's key is derived from the issuer's master key and its number, so no key is
stored per card; the card (its chip, or terminal.card.SoftwareCard) signs each offline
charge with it, and the center checks the signature with the key it derives again.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

CARD_KEY_LABEL = "sscard card key "
CRYPTOGRAM_BYTES = 16


@dataclass(frozen=True, slots=True)
class SignedCharge:
    """What the card signs: an offline charge's facts, `occurred_at` as the terminal sends it."""

    card_no: str
    counter: int
    amount: int
    category: str
    occurred_at: str
    terminal_id: str
    pin_verified: bool

    def message(self) -> bytes:
        """The signed bytes: the fields joined by "|", counter and amount in decimal."""
        fields = (self.card_no, self.counter, self.amount, self.category, self.occurred_at, self.terminal_id)
        return "|".join([*map(str, fields), "1" if self.pin_verified else "0"]).encode()


def card_key(issuer_key: bytes, card_no: str) -> bytes:
    """The card's own 32-byte key: HMAC-SHA256(issuer master key, label + card number)."""
    return hmac.new(issuer_key, (CARD_KEY_LABEL + card_no).encode(), hashlib.sha256).digest()


def cryptogram(key: bytes, charge: SignedCharge) -> str:
    """The first 16 bytes, in lowercase hex, of HMAC-SHA256(card key, message)."""
    return hmac.new(key, charge.message(), hashlib.sha256).digest()[:CRYPTOGRAM_BYTES].hex()


def is_genuine(key: bytes, charge: SignedCharge, given: str | None) -> bool:
    """Whether `given` is the card's cryptogram for exactly this charge (constant time)."""
    if given is None:
        return False
    return hmac.compare_digest(cryptogram(key, charge).encode(), given.encode())
