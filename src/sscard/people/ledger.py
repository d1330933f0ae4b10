"""The personal medical account as a ledger (R-ACC-1): integer fen, never negative."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class PostingKind(StrEnum):
    DEPOSIT = "deposit"
    SETTLEMENT = "settlement"
    REFUND = "refund"
    COMPENSATION = "compensation"
    CLAIM = "claim"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    PAYOUT = "payout"  # R-CARD-5: a cancelled card's balance paid to the holder or heir


class InsufficientBalance(Exception):
    """A debit larger than the balance."""

    def __init__(self, balance: int, amount: int) -> None:
        super().__init__(f"balance {balance} fen cannot cover {-amount} fen")
        self.balance = balance
        self.amount = amount


def check_amount(amount: object) -> int:
    """A posting amount: a non-zero whole number of fen (bool and float refused)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are whole fen")
    if amount == 0:
        raise ValueError("a posting of zero fen moves nothing")
    return amount


def apply_posting(balance: int, amount: int, held: int = 0) -> int:
    """The balance after a posting; a credit is positive, a debit negative.

    A debit may not reach into `held` money (R-REP-6: the old card's balance waiting
    for its transfer), nor below zero.
    """
    after = balance + check_amount(amount)
    if amount < 0 and after < max(held, 0):
        raise InsufficientBalance(balance - held, amount)
    return after


def balance_of(amounts: Iterable[int]) -> int:
    """R-ACC-1: the balance is the sum of the postings."""
    return sum(amounts)
