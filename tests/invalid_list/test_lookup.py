"""The terminal's in-memory list: exact both ways, whatever changes it has seen."""

from __future__ import annotations

import random
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sscard.cards.numbers import make_card_no
from sscard.invalid_list.binary import decode, encode
from sscard.invalid_list.lookup import InvalidList
from sscard.invalid_list.rules import ListReason

REASONS = [reason.value for reason in ListReason]
# A small pool, so that changes keep landing on the same cards.
POOL = [make_card_no("110105", serial) for serial in range(1, 25)]


def test_it_answers_for_exactly_the_listed_cards_with_their_reasons() -> None:
    listed = {POOL[0]: "lost", POOL[3]: "replaced", POOL[7]: "cancelled"}
    invalid = InvalidList(listed.items())
    assert {card for card in POOL if invalid.is_invalid(card)} == set(listed)
    assert {card: invalid.reason(card) for card in listed} == listed
    assert invalid.reason(POOL[1]) is None
    assert len(invalid) == 3
    assert list(invalid.items()) == sorted(listed.items())


@pytest.mark.parametrize("not_a_card", ["", "110105000000001", "11010500000000190", "1101O5000000001X", "١" * 16])
def test_what_is_not_a_card_number_is_never_listed(not_a_card: str) -> None:
    assert not InvalidList([(POOL[0], "lost")]).is_invalid(not_a_card)
    assert 1101050000000019 not in InvalidList([("1101050000000019", "lost")])


def test_no_card_is_declined_by_a_bloom_filter_false_positive() -> None:
    rng = random.Random(7)
    listed = {rng.randrange(10**15, 10**16) for _ in range(50_000)}
    invalid = InvalidList((str(key), "lost") for key in listed)
    probes = [key for key in (rng.randrange(10**15, 10**16) for _ in range(50_000)) if key not in listed]
    # At a 2 % false-positive rate the filter passes a thousand of these; the table must
    # turn every one of them away.
    view = invalid._view
    passed = [key for key in probes if view.passes(key)]
    assert 100 < len(passed) < len(probes) * 0.04
    assert not [key for key in probes if invalid.is_invalid(str(key))]
    assert all(invalid.is_invalid(str(key)) for key in listed)


@pytest.mark.parametrize(
    "look_alike",
    ["1_23456789012345", " 123456789012345", "+123456789012345", "123456789012345 ", "٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥"],
)
def test_text_that_int_reads_as_a_listed_key_is_not_that_card(look_alike: str) -> None:
    invalid = InvalidList([("0123456789012345", "lost")])
    assert int(look_alike) == 123456789012345
    assert not invalid.is_invalid(look_alike)
    assert invalid.reason(look_alike) is None
    assert invalid.is_invalid("0123456789012345")


def test_the_extreme_card_numbers_are_kept() -> None:
    extremes = {"0000000000000000": "lost", "9999999999999999": "expired"}
    invalid = InvalidList(extremes.items())
    assert all(invalid.is_invalid(card) for card in extremes)
    assert dict(invalid.items()) == extremes


def test_a_list_loads_from_a_decoded_snapshot() -> None:
    cards = {card: REASONS[serial % len(REASONS)] for serial, card in enumerate(POOL)}
    invalid = InvalidList.from_snapshot(decode(encode(5, "110100", cards.items())))
    assert dict(invalid.items()) == cards
    assert all(invalid.is_invalid(card) for card in cards)


def test_a_card_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="once"):
        InvalidList([(POOL[0], "lost"), (POOL[0], "replaced")])


def test_arrays_must_be_sorted_distinct_and_carry_known_reasons() -> None:
    with pytest.raises(ValueError, match="sorted"):
        InvalidList.from_arrays(array("Q", [3, 2]), bytes([0, 0]))
    with pytest.raises(ValueError, match="reason"):
        InvalidList.from_arrays(array("Q", [2, 3]), bytes([0, 99]))
    with pytest.raises(ValueError, match="length"):
        InvalidList.from_arrays(array("Q", [2, 3]), bytes([0]))
    with pytest.raises(ValueError, match="longer"):
        InvalidList.from_arrays(array("Q", [2, 10**16]), bytes([0, 0]))


changes = st.lists(
    st.tuples(st.sampled_from(["add", "remove"]), st.sampled_from(POOL), st.sampled_from(REASONS)), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(
    start=st.dictionaries(st.sampled_from(POOL), st.sampled_from(REASONS), max_size=12),
    steps=changes,
    min_merge=st.integers(min_value=1, max_value=8),
)
def test_membership_and_reasons_equal_a_plain_dict_after_any_changes(
    start: dict[str, str], steps: list[tuple[str, str, str]], min_merge: int
) -> None:
    invalid = InvalidList(start.items(), min_merge=min_merge)
    reference = dict(start)
    for op, card, reason in steps:
        invalid.apply(op, card, reason if op == "add" else None)
        if op == "add":
            reference[card] = reason
        else:
            reference.pop(card, None)
        assert {card for card in POOL if invalid.is_invalid(card)} == set(reference)
    assert {card: invalid.reason(card) for card in POOL} == {card: reference.get(card) for card in POOL}
    assert len(invalid) == len(reference)
    assert list(invalid.items()) == sorted(reference.items())


def test_an_add_without_a_reason_or_an_unknown_op_is_refused() -> None:
    invalid = InvalidList()
    with pytest.raises(ValueError, match="reason"):
        invalid.apply("add", POOL[0], None)
    with pytest.raises(ValueError, match="unknown"):
        invalid.apply("purge", POOL[0], None)
    with pytest.raises(ValueError, match="reason a card is listed for"):
        invalid.apply("add", POOL[0], "misplaced")
