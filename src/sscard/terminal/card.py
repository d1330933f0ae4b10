"""A software card: what a card's chip does for an offline charge (R-SET-6).

It holds the card number, the card's own key (from the personalization record) and
its transaction counter, and signs each charge the terminal asks it to: the counter
goes up by one for every charge, as a chip's does, so no two charges share one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sscard.cards.cryptogram import SignedCharge, cryptogram


@dataclass(slots=True)
class SoftwareCard:
    """A card number, its key and the counter of the last charge it signed."""

    card_no: str
    card_key: bytes
    counter: int = 0

    def __repr__(self) -> str:  # the key never reaches a log
        return f"SoftwareCard(card_no={self.card_no!r}, counter={self.counter})"

    def sign(
        self, *, amount: int, category: str, occurred_at: str, terminal_id: str, pin_verified: bool = True
    ) -> dict[str, Any]:
        """The next counter and the charge's cryptogram, as an offline transaction carries them."""
        self.counter += 1
        charge = SignedCharge(self.card_no, self.counter, amount, category, occurred_at, terminal_id, pin_verified)
        return {"counter": self.counter, "pin_verified": pin_verified, "cryptogram": cryptogram(self.card_key, charge)}


def load_card(path: Path) -> SoftwareCard:
    """A card from its file: the personalization record ({card_no, card_key}) and its counter."""
    record = json.loads(path.read_text())
    return SoftwareCard(str(record["card_no"]), bytes.fromhex(record["card_key"]), int(record.get("counter", 0)))


def save_card(path: Path, card: SoftwareCard) -> None:
    """Write the card back with its counter, readable by its owner only (it holds the key)."""
    record = {"card_no": card.card_no, "card_key": card.card_key.hex(), "counter": card.counter}
    path.touch(mode=0o600)
    path.chmod(0o600)  # a file that was already there keeps its mode otherwise
    path.write_text(json.dumps(record) + "\n")
