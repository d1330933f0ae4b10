"""The personal medical account as a ledger (R-ACC-1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.people.ledger import InsufficientBalance, apply_posting, balance_of, check_amount

non_zero_amounts = st.integers(min_value=-1_000_000, max_value=1_000_000).filter(lambda amount: amount != 0)


@pytest.mark.parametrize(
    ("balance", "amount", "after"),
    [
        (0, 1, 1),
        (0, 10_000, 10_000),
        (10_000, -2_500, 7_500),
        (10_000, -10_000, 0),  # down to exactly zero is allowed
        (1, -1, 0),
    ],
)
def test_r_acc_1_posting_moves_the_balance(balance: int, amount: int, after: int) -> None:
    assert apply_posting(balance, amount) == after


@pytest.mark.parametrize(("balance", "amount"), [(0, -1), (100, -101), (10_000, -10_001), (0, -(10**12))])
def test_r_acc_1_a_debit_beyond_the_balance_is_refused(balance: int, amount: int) -> None:
    """R-ACC-1: a balance never goes negative."""
    with pytest.raises(InsufficientBalance) as caught:
        apply_posting(balance, amount)
    assert caught.value.balance == balance
    assert caught.value.amount == amount
    assert f"{-amount} fen" in str(caught.value)


def test_r_acc_1_a_zero_posting_is_refused() -> None:
    with pytest.raises(ValueError):
        check_amount(0)
    with pytest.raises(ValueError):
        apply_posting(100, 0)


@pytest.mark.parametrize("amount", [True, False, 1.0, -1.0, 0.5, "100", None])
def test_r_acc_1_amounts_are_whole_fen(amount: object) -> None:
    """R-ACC-1: money is integer fen; bool, float and anything else raise TypeError."""
    with pytest.raises(TypeError):
        check_amount(amount)
    with pytest.raises(TypeError):
        apply_posting(100, amount)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [1, -1, 10**15, -(10**15)])
def test_check_amount_returns_a_valid_amount(amount: int) -> None:
    assert check_amount(amount) == amount


@pytest.mark.parametrize(
    ("amounts", "balance"),
    [([], 0), ([100], 100), ([100, -40, 25], 85), ([5_000, -5_000], 0)],
)
def test_r_acc_1_balance_is_the_sum_of_postings(amounts: list[int], balance: int) -> None:
    assert balance_of(amounts) == balance
    assert balance_of(iter(amounts)) == balance


@given(st.lists(non_zero_amounts, max_size=50))
def test_r_acc_1_ledger_balance_equals_the_sum_of_accepted_postings(amounts: list[int]) -> None:
    """R-ACC-1: skipping refused debits, the balance is the sum of what was accepted, never below 0."""
    balance = 0
    accepted: list[int] = []
    for amount in amounts:
        try:
            balance = apply_posting(balance, amount)
        except InsufficientBalance:
            assert balance + amount < 0, "a posting that fits was refused"
            continue
        accepted.append(amount)
        assert balance >= 0
    assert balance == balance_of(accepted) == sum(accepted)
    assert all(amount > 0 or amount < 0 for amount in accepted)
