"""The offline cryptogram (R-SET-6) byte for byte as API.md gives it, and its properties."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from sscard.cards.cryptogram import SignedCharge, card_key, cryptogram, is_genuine

ISSUER_KEY = b"sscard-test-vector-issuer-key-0123456789"
CHARGE = SignedCharge(
    card_no="1101050000000019",
    counter=7,
    amount=20_000,
    category="drug",
    occurred_at="2026-03-02T10:00:00+08:00",
    terminal_id="trm_0123456789abcdef",
    pin_verified=True,
)
# Computed outside Python: `openssl dgst -sha256 -mac HMAC` over API.md's strings.
VECTOR_CARD_KEY = "1ba081f1f6a06ec394537ec08bb9af1ca93971bb6d9a15e559a5a8b5afd2dc3b"
VECTOR_CRYPTOGRAM = "f2e7907500346855d757376b2cd82523"


def test_r_set_6_the_test_vector_matches_api_md() -> None:
    key = card_key(ISSUER_KEY, CHARGE.card_no)
    assert key.hex() == VECTOR_CARD_KEY
    assert cryptogram(key, CHARGE) == VECTOR_CRYPTOGRAM


def test_r_set_6_the_message_is_the_fields_joined_by_bars() -> None:
    expected = b"1101050000000019|7|20000|drug|2026-03-02T10:00:00+08:00|trm_0123456789abcdef|1"
    assert CHARGE.message() == expected
    assert dataclasses.replace(CHARGE, pin_verified=False).message().endswith(b"|0")
    key = hmac.new(ISSUER_KEY, b"sscard card key 1101050000000019", hashlib.sha256).digest()
    assert cryptogram(key, CHARGE) == hmac.new(key, expected, hashlib.sha256).hexdigest()[:32]


def test_r_set_6_only_the_exact_lowercase_cryptogram_is_genuine() -> None:
    key = card_key(ISSUER_KEY, CHARGE.card_no)
    assert is_genuine(key, CHARGE, VECTOR_CRYPTOGRAM)
    for wrong in (None, "", VECTOR_CRYPTOGRAM.upper(), VECTOR_CRYPTOGRAM[:-1], VECTOR_CRYPTOGRAM + "0", "é" * 32):
        assert not is_genuine(key, CHARGE, wrong)


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="|"), max_size=40)
charges = st.builds(
    SignedCharge,
    card_no=st.from_regex(r"\A[0-9]{16}\Z"),
    counter=st.integers(0, 2**32 - 1),
    amount=st.integers(1, 10**9),
    category=TEXT,
    occurred_at=TEXT,
    terminal_id=TEXT,
    pin_verified=st.booleans(),
)
FIELDS = [f.name for f in dataclasses.fields(SignedCharge)]


def _changed(charge: SignedCharge, name: str, data: st.DataObject) -> SignedCharge:
    value = getattr(charge, name)
    other: object
    if isinstance(value, bool):
        other = not value
    elif isinstance(value, int):
        other = value + data.draw(st.integers(1, 1_000))
    else:
        other = data.draw(TEXT.filter(lambda text: text != value))
    fields: dict[str, object] = dataclasses.asdict(charge) | {name: other}
    return SignedCharge(**fields)  # type: ignore[arg-type]


@given(charges, st.sampled_from(FIELDS), st.data())
def test_r_set_6_changing_any_field_breaks_the_cryptogram(charge: SignedCharge, name: str, data: st.DataObject) -> None:
    key = card_key(ISSUER_KEY, charge.card_no)
    changed = _changed(charge, name, data)
    assert is_genuine(key, charge, cryptogram(key, charge))
    assert not is_genuine(key, changed, cryptogram(key, charge))


@given(charges, st.binary(min_size=32, max_size=64))
def test_r_set_6_another_issuer_key_makes_another_cryptogram(charge: SignedCharge, other_issuer: bytes) -> None:
    key, other = card_key(ISSUER_KEY, charge.card_no), card_key(other_issuer, charge.card_no)
    assert (other == key) == (other_issuer == ISSUER_KEY)
    if other != key:
        assert not is_genuine(other, charge, cryptogram(key, charge))


@given(charges, st.from_regex(r"\A[0-9]{16}\Z"))
def test_r_set_6_each_card_has_its_own_key(charge: SignedCharge, other_card: str) -> None:
    assert (card_key(ISSUER_KEY, other_card) == card_key(ISSUER_KEY, charge.card_no)) == (other_card == charge.card_no)
