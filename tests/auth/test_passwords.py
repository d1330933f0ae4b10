"""Password hashing (Argon2id)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sscard.auth.passwords import Passwords

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(profile="CHEAPEST")


@pytest.fixture(scope="module")
def stored(passwords: Passwords) -> str:
    return passwords.hash(PASSWORD)


def test_hash_then_verify(passwords: Passwords, stored: str) -> None:
    assert passwords.verify(stored, PASSWORD) is True


def test_the_hash_is_argon2id_and_hides_the_password(stored: str) -> None:
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_hashes_are_salted(passwords: Passwords) -> None:
    first, second = passwords.hash(PASSWORD), passwords.hash(PASSWORD)
    assert first != second
    assert passwords.verify(first, PASSWORD)
    assert passwords.verify(second, PASSWORD)


@pytest.mark.parametrize("attempt", ["correct horse batter", "Correct horse battery", "", "correct horse battery "])
def test_a_wrong_password_is_false(passwords: Passwords, stored: str, attempt: str) -> None:
    assert passwords.verify(stored, attempt) is False


@pytest.mark.parametrize("attempt", [PASSWORD, "", "sscard-no-such-user"])
def test_no_stored_hash_is_false(passwords: Passwords, attempt: str) -> None:
    """An unknown user never logs in, not even with the dummy password used for timing."""
    assert passwords.verify(None, attempt) is False
    assert passwords.verify("", attempt) is False


def test_a_non_ascii_password_round_trips(passwords: Passwords) -> None:
    stored = passwords.hash("密码很安全123")
    assert passwords.verify(stored, "密码很安全123") is True
    assert passwords.verify(stored, "密码很安全124") is False


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda h: h[:-5], id="truncated"),
        pytest.param(lambda h: h[: h.rindex("$")], id="no-digest"),
        pytest.param(lambda h: h.replace("$argon2id$", "$argon2x$"), id="unknown-variant"),
        pytest.param(lambda h: h.replace("$v=19$", "$v=xx$"), id="bad-version"),
        pytest.param(lambda _h: "garbage", id="garbage"),
        pytest.param(lambda _h: "$2b$12$" + "a" * 53, id="bcrypt-shaped"),
        pytest.param(lambda h: h[:-1] + ("A" if h[-1] != "A" else "B"), id="flipped-digest"),
        pytest.param(lambda h: h[:-2] + "é", id="non-ascii"),
    ],
)
def test_a_corrupt_hash_is_false(passwords: Passwords, stored: str, corrupt: Callable[[str], str]) -> None:
    assert corrupt(stored) != stored
    assert passwords.verify(corrupt(stored), PASSWORD) is False
