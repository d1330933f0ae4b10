"""The binary snapshot: what is encoded decodes the same, or a clear refusal (R-INV-3)."""

from __future__ import annotations

import random
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sscard.cards.numbers import luhn_check_digit, make_card_no
from sscard.invalid_list import binary
from sscard.invalid_list.binary import (
    FORMAT,
    HEADER,
    MAGIC,
    CorruptSnapshot,
    card_arrays,
    decode,
    encode,
    luhn_digits,
)
from sscard.invalid_list.lookup import InvalidList
from sscard.invalid_list.rules import ListReason
from sscard.policy.regions import BUILTIN_REGIONS, Level

DISTRICTS = [region.code for region in BUILTIN_REGIONS if region.level is Level.district]
REASONS = [reason.value for reason in ListReason]

CARD = make_card_no("110105", 1)
MISTYPED = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)  # the Luhn digit off by one

card_numbers = st.builds(make_card_no, st.sampled_from(DISTRICTS), st.integers(1, 10**9 - 1))
card_lists = st.dictionaries(card_numbers, st.sampled_from(REASONS), max_size=300)


def random_cards(count: int, seed: int = 5) -> dict[str, str]:
    rng = random.Random(seed)
    cards: dict[str, str] = {}
    while len(cards) < count:
        card = make_card_no(rng.choice(DISTRICTS), rng.randrange(1, 10**9))
        cards[card] = rng.choices(REASONS, weights=[70, 2, 2, 6, 15, 5])[0]
    return cards


def snapshot_of(body: bytes, count: int) -> bytes:
    """A snapshot with any body: for what a decoder must refuse."""
    return HEADER.pack(MAGIC, FORMAT, 3, b"110100", count) + zlib.compress(body)


@settings(max_examples=200, deadline=None)
@given(cards=card_lists, version=st.integers(0, 2**63))
def test_a_snapshot_decodes_to_the_cards_it_was_made_of(cards: dict[str, str], version: int) -> None:
    snapshot = decode(encode(version, "110100", cards.items()))
    assert (snapshot.version, snapshot.scope) == (version, "110100")
    assert snapshot.cards == cards
    assert snapshot.keys.tolist() == sorted(int(card) for card in cards)


def test_an_empty_list_round_trips() -> None:
    snapshot = decode(encode(1, "000000", []))
    assert (snapshot.version, snapshot.scope, snapshot.cards, len(snapshot.keys)) == (1, "000000", {}, 0)


def test_the_lowest_and_highest_card_numbers_round_trip() -> None:
    cards = {make_card_no("000000", 1): "lost", make_card_no("999999", 10**9 - 1): "cancelled"}
    assert decode(encode(1, "000000", cards.items())).cards == cards


def test_a_realistic_list_takes_at_most_five_bytes_a_card() -> None:
    # Random serials are far sparser than real ones: an upper bound.
    cards = random_cards(50_000)
    assert len(encode(1, "000000", cards.items())) / len(cards) <= 5


@pytest.mark.parametrize(
    ("cards", "error"),
    [
        ([("110105000000001", "lost")], "not a card number"),
        ([("11010500000000190", "lost")], "not a card number"),
        ([("110105000000001", "lost"), ("11010500000000190", "lost")], "not a card number"),
        ([("1101O50000000019", "lost")], "not a card number"),
        ([("١" * 16, "lost")], "not a card number"),
        ([(" 101050000000019", "lost")], "not a card number"),
        ([(CARD, "misplaced")], "reason"),
        ([(CARD, "lost"), (CARD, "replaced")], "once"),
        ([(MISTYPED, "lost")], "Luhn"),
    ],
)
def test_what_is_not_a_list_of_distinct_card_numbers_is_refused(cards: list[tuple[str, str]], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        encode(1, "110100", cards)


@given(st.lists(st.integers(0, 10**16 - 1), max_size=50))
def test_card_numbers_parse_as_int_does(keys: list[int]) -> None:
    parsed, _ = card_arrays((f"{key:016d}", "lost") for key in keys)
    assert parsed.tolist() == keys


@given(st.integers(0, 10**15 - 1))
def test_luhn_digits_agree_with_the_card_rules(payload: int) -> None:
    assert str(int(luhn_digits(np.array([payload], np.uint64))[0])) == luhn_check_digit(f"{payload:015d}")


def test_bytes_that_are_not_a_snapshot_are_refused() -> None:
    good = encode(9, "110100", random_cards(2_000).items())
    for damaged in (
        b"",
        good[: HEADER.size - 1],
        b"SSIX" + good[4:],
        good[:4] + bytes([FORMAT + 1]) + good[5:],
        good[:13] + b"\xff" * 6 + good[19:],
        good[: len(good) // 2],
        good[:-1],
        good + b"\x00",
        good[: HEADER.size] + b"not zlib at all",
    ):
        with pytest.raises(CorruptSnapshot):
            decode(damaged)


def test_every_truncation_of_a_small_snapshot_is_refused() -> None:
    good = encode(9, "110100", random_cards(20).items())
    for length in range(len(good)):
        with pytest.raises(CorruptSnapshot):
            decode(good[:length])


def test_a_count_the_body_does_not_hold_is_refused() -> None:
    cards = random_cards(100)
    good = encode(9, "110100", cards.items())
    for count in (0, 99, 101, 2**32 - 1):
        with pytest.raises(CorruptSnapshot):
            decode(good[:19] + struct.pack(">I", count) + good[HEADER.size :])


@pytest.mark.parametrize(
    ("body", "count"),
    [
        (bytes([0x05, 0x00, 0, 0]), 2),  # a repeated card: its delta is 0
        (bytes([0x05, 0x06]), 1),  # a reason that does not exist
        (bytes([0x85, 0x05, 0, 0]), 2),  # a varint that runs into the reasons
        (bytes([0x80] * 9 + [0x01, 0]), 1),  # a varint longer than any card number
        (bytes([0xFF] * 7 + [0x7F, 0]), 1),  # a number past 15 digits
        # 256 deltas of 2**56 - 1 and one of 300: the sum wraps round 2**64 to 44.
        (bytes([0xFF] * 7 + [0x7F]) * 256 + bytes([0xAC, 0x02]) + bytes(257), 257),
        (b"", 1),  # nothing at all
    ],
)
def test_a_body_that_is_not_ascending_payloads_and_reasons_is_refused(body: bytes, count: int) -> None:
    with pytest.raises(CorruptSnapshot):
        decode(snapshot_of(body, count))


def test_a_decompression_bomb_is_refused_without_inflating_it() -> None:
    with pytest.raises(CorruptSnapshot):
        decode(snapshot_of(bytes(100_000_000), 1))


def test_a_list_longer_than_a_chunk_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binary, "CHUNK", 7)
    cards = random_cards(200)
    snapshot = decode(encode(2, "110100", cards.items()))
    assert snapshot.cards == cards
    invalid = InvalidList.from_snapshot(snapshot)
    assert dict(invalid.items()) == cards
    assert all(invalid.is_invalid(card) for card in cards)
