"""Card PINs (R-CARD-3): format, keyed hash, and the wrong-PIN counter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.cards.pin import PinAttempt, PinHasher, count_attempt, is_pin

SECRET = b"test-secret-" + b"x" * 40
CARD = "1101050000000019"
OTHER_CARD = "1101050000000027"


@pytest.fixture
def hasher() -> PinHasher:
    return PinHasher(SECRET)


@pytest.mark.parametrize("value", ["123456", "000000", "999999", "012345"])
def test_is_pin_accepts_six_ascii_digits(value: str) -> None:
    assert is_pin(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "12345",
        "1234567",
        "12345a",
        "12 456",
        " 123456",
        "123456 ",
        "123456\n",
        "１２３４５６",  # full-width
        "١٢٣٤٥٦",  # Arabic-Indic
        "-12345",
        "+12345",
    ],
)
def test_is_pin_refuses(value: str) -> None:
    assert not is_pin(value)


def test_same_card_and_pin_give_the_same_hash(hasher: PinHasher) -> None:
    assert hasher.hash(CARD, "123456") == hasher.hash(CARD, "123456")
    assert PinHasher(SECRET).hash(CARD, "123456") == hasher.hash(CARD, "123456")


def test_hash_is_a_hex_digest(hasher: PinHasher) -> None:
    digest = hasher.hash(CARD, "123456")
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


def test_r_card_3_equal_pins_on_two_cards_hash_differently(hasher: PinHasher) -> None:
    assert hasher.hash(CARD, "123456") != hasher.hash(OTHER_CARD, "123456")


def test_different_pins_hash_differently(hasher: PinHasher) -> None:
    assert hasher.hash(CARD, "123456") != hasher.hash(CARD, "123457")


def test_different_secrets_hash_differently(hasher: PinHasher) -> None:
    assert PinHasher(b"another-secret-" + b"y" * 40).hash(CARD, "123456") != hasher.hash(CARD, "123456")


@given(st.text(alphabet="0123456789", min_size=6, max_size=6), st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_distinct_pins_never_share_a_hash(first: str, second: str) -> None:
    hasher = PinHasher(SECRET)
    assert (hasher.hash(CARD, first) == hasher.hash(CARD, second)) == (first == second)


@pytest.mark.parametrize("pin", ["123456", "000000", "999999", "314159", "271828", "123123"])
def test_r_card_3_hash_never_contains_the_pin(hasher: PinHasher, pin: str) -> None:
    """R-CARD-3: PINs are never stored in clear."""
    stored = hasher.hash(CARD, pin)
    assert pin not in stored
    assert CARD not in stored


def test_verify_right_pin(hasher: PinHasher) -> None:
    assert hasher.verify(CARD, "123456", hasher.hash(CARD, "123456")) is True


def test_verify_wrong_pin(hasher: PinHasher) -> None:
    assert hasher.verify(CARD, "654321", hasher.hash(CARD, "123456")) is False


def test_verify_pin_of_another_card(hasher: PinHasher) -> None:
    assert hasher.verify(OTHER_CARD, "123456", hasher.hash(CARD, "123456")) is False


def test_verify_under_another_secret(hasher: PinHasher) -> None:
    other = PinHasher(b"another-secret-" + b"y" * 40)
    assert other.verify(CARD, "123456", hasher.hash(CARD, "123456")) is False


def test_verify_without_a_stored_pin(hasher: PinHasher) -> None:
    """R-CARD-2: a card with no PIN set never matches."""
    assert hasher.verify(CARD, "123456", None) is False


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("", id="empty"),
        pytest.param("123456", id="clear-pin"),
        pytest.param("not-a-hash", id="garbage"),
        pytest.param("0" * 64, id="zeros"),
        pytest.param("é" * 64, id="non-ascii"),
    ],
)
def test_verify_against_a_corrupt_stored_value(hasher: PinHasher, stored: str) -> None:
    """A stored value that is not a hash is a mismatch, not a crash."""
    assert hasher.verify(CARD, "123456", stored) is False


def test_r_card_3_three_wrong_in_a_row_lock() -> None:
    """R-CARD-3: with the default limit of 3, the third wrong PIN in a row locks."""
    first = count_attempt(correct=False, failures=0, max_tries=3)
    assert first == PinAttempt(correct=False, failures=1, locked=False)
    second = count_attempt(correct=False, failures=first.failures, max_tries=3)
    assert second == PinAttempt(correct=False, failures=2, locked=False)
    third = count_attempt(correct=False, failures=second.failures, max_tries=3)
    assert third == PinAttempt(correct=False, failures=3, locked=True)


def test_r_card_3_a_right_pin_resets_the_count() -> None:
    """R-CARD-3: only wrong PINs *in a row* count."""
    assert count_attempt(correct=True, failures=2, max_tries=3) == PinAttempt(correct=True, failures=0, locked=False)
    after_reset = count_attempt(correct=False, failures=0, max_tries=3)
    assert after_reset == PinAttempt(correct=False, failures=1, locked=False)


def test_r_card_3_wrong_right_wrong_wrong_does_not_lock() -> None:
    failures = 0
    outcomes = []
    for correct in (False, False, True, False, False):
        attempt = count_attempt(correct=correct, failures=failures, max_tries=3)
        failures = attempt.failures
        outcomes.append(attempt.locked)
    assert outcomes == [False, False, False, False, False]
    assert failures == 2


def test_r_card_3_a_limit_of_one_locks_at_the_first_wrong_pin() -> None:
    assert count_attempt(correct=False, failures=0, max_tries=1).locked


@given(st.lists(st.booleans(), max_size=30), st.integers(min_value=1, max_value=10))
def test_r_card_3_locked_exactly_when_the_trailing_wrong_run_reaches_the_limit(
    entries: list[bool], max_tries: int
) -> None:
    """R-CARD-3: after each entry, locked ⇔ the run of wrong entries ending there ≥ max_tries."""
    failures = 0
    run = 0
    for correct in entries:
        run = 0 if correct else run + 1
        attempt = count_attempt(correct=correct, failures=failures, max_tries=max_tries)
        assert attempt.correct is correct
        assert attempt.failures == run
        assert attempt.locked is (run >= max_tries)
        failures = attempt.failures
