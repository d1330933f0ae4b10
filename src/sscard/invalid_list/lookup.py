"""The terminal's in-memory invalid list, sized for a national list of 10 million cards.

A Python set of card numbers costs about a hundred bytes a card. Here the cards sit in
an open-addressing hash table of 64-bit integers, three quarters full, with a reason
byte beside each slot (12 bytes a card), behind a blocked Bloom filter (20 bits a card)
that turns away nearly every card that is not listed, which is almost every card a
terminal sees. A card's filter bits all lie in one byte of a bytearray, so turning a
card away is one integer parse, one memory read and a mask, all on small ints that
Python keeps cached: about as little as Python can do per card. Only a card the filter
passes is looked up in the table.

Both are built a chunk of cards at a time with no Python step per card, so ten million
cards load in about a second; lookups read the table through memoryviews, which cost
less per read than NumPy's indexing. Changes land in a small overlay (an added card's
bits in the filter too) and are merged into the table when it grows.

Answers are exact both ways: the filter never forgets a card it holds, and a card it
wrongly passes is then looked up in the table.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sscard.invalid_list.binary import (
    CARD_NO_DIGITS,
    REASON_BITS,
    REASONS,
    DecodedSnapshot,
    Indexes,
    Keys,
    card_arrays,
    chunks,
    is_card_number_text,
    sort_cards,
)
from sscard.invalid_list.rules import ListReason, Op

LOAD = 0.75  # of the table's slots in use
# A card's bits lie in one byte, not one 64-bit word: reading a byte of a bytearray
# gives a cached small int, where a memoryview's word is a new int object (and so is
# the word & mask). Bytes pass more cards than words do at the same size, so the filter
# takes twice the bits for the same rate: 1.3 bytes a card more, about 20 ns a lookup less.
FILTER_BITS = 20  # a card: about 2 % of unlisted cards pass
FILTER_HASHES = 3  # bits a card clears in its byte
BLOCK_BITS = 8
# A key's pattern is key & 4095 and its byte key % blocks, with blocks odd: independent.
PATTERN_BITS = 12
PATTERNS = 1 << PATTERN_BITS
_PATTERN_INDEX = PATTERNS - 1
_SIXTEEN_DIGITS = 10 ** (CARD_NO_DIGITS - 1)
EMPTY = 2**64 - 1  # a free slot; card keys are below 10**16
# Merge the overlay into the table once it holds 1/64 of the table's cards (or 4096).
MERGE_FRACTION = 64
MIN_MERGE = 4096
_REASON_INDEX = {reason.value: index for index, reason in enumerate(REASONS)}


def _patterns() -> NDArray[np.uint8]:
    # Fixed, so that a list built twice is laid out the same.
    positions = np.random.default_rng(20260302).random((PATTERNS, BLOCK_BITS)).argsort(axis=1)[:, :FILTER_HASHES]
    masks: NDArray[np.uint8] = np.bitwise_or.reduce(np.uint8(1) << positions.astype(np.uint8), axis=1)
    return masks


_PATTERN_ARRAY = _patterns()
PATTERN_MASKS: tuple[int, ...] = tuple(_PATTERN_ARRAY.tolist())


def card_key(card_no: object) -> int | None:
    """The integer a card number is kept as; None for anything that is not one."""
    return int(card_no) if is_card_number_text(card_no) else None


def _require_key(card_no: str) -> int:
    key = card_key(card_no)
    if key is None:
        raise ValueError(f"{card_no!r} is not a card number")
    return key


def _reason_index(reason: str) -> int:
    try:
        return _REASON_INDEX[reason]
    except KeyError:
        raise ValueError(f"{reason!r} is not a reason a card is listed for") from None


@dataclass(slots=True)
class _Layers:
    """One consistent view: the table with its filter, and the changes since.

    Readers take the whole view at once, so a merge that replaces it never shows them
    half of the old state and half of the new. A card is listed when it is in `added`,
    or in the table and not in `removed`; a key in `added` that is also in the table is
    always in `removed` too (its reason changed).
    """

    table: memoryview  # 64-bit keys by linear probing from home slot key % slots, EMPTY where free
    reasons: memoryview  # a byte beside each slot
    # Bytes, inverted: a listed key clears PATTERN_MASKS[key & 4095] in byte key % blocks.
    filter: bytearray
    slots: int
    blocks: int
    count: int
    added: dict[int, int] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)

    def position(self, key: int) -> int | None:
        """The key's slot in the table (the overlay aside)."""
        table, slot = self.table, key % self.slots
        while (held := table[slot]) != key:
            if held == EMPTY:
                return None
            slot += 1
        return slot

    def passes(self, key: int) -> bool:
        """Whether the filter lets the key through to the table (for tests and benchmarks:
        is_invalid does the same inline)."""
        return not self.filter[key % self.blocks] & PATTERN_MASKS[key & _PATTERN_INDEX]


def _layers(keys: Keys, reasons: Indexes) -> _Layers:
    """The table and filter of sorted, distinct keys."""
    count = len(keys)
    slots = int(count / LOAD) + 1
    quotients, packed = np.divmod(keys, np.uint64(slots))
    quotient_bits = (int(quotients[-1]) if count else 0).bit_length()
    # (home slot, key // slots, reason) sorted as one integer: in order of home slot, each
    # key takes the first free slot from its home on, where linear probing puts it.
    home_shift = np.uint64(quotient_bits + REASON_BITS)
    packed <<= home_shift
    quotients <<= np.uint64(REASON_BITS)
    packed |= quotients
    packed |= reasons
    packed.sort()
    at = _probe_slots(packed, home_shift, out=quotients.view(np.int64))  # a buffer done with: no new pages
    table = np.full(max(slots, int(at[-1]) + 1 if count else 0) + 1, EMPTY, np.uint64)  # a free slot ends every probe
    why = np.zeros(len(table), np.uint8)
    for part in chunks(count):
        block = packed[part]
        keys_here = (block >> np.uint64(REASON_BITS) & np.uint64((1 << quotient_bits) - 1)) * np.uint64(slots)
        keys_here += block >> home_shift
        table[at[part]] = keys_here
        why[at[part]] = block & np.uint64((1 << REASON_BITS) - 1)
    blocks = count * FILTER_BITS // BLOCK_BITS | 1
    return _Layers(table.data, why.data, _filter(keys, blocks), slots, blocks, count)


def _filter(keys: Keys, blocks: int) -> bytearray:
    """The inverted filter bytes: (byte, pattern) pairs sorted as one integer, so that
    each byte's patterns come in a run to OR together."""
    pairs = keys % np.uint64(blocks)
    pairs <<= np.uint64(PATTERN_BITS)
    pairs |= keys & np.uint64(_PATTERN_INDEX)
    pairs.sort()
    bits = np.zeros(blocks, np.uint8)
    for part in chunks(len(pairs)):
        chunk = pairs[part]
        block = chunk >> np.uint64(PATTERN_BITS)
        runs = np.flatnonzero(np.diff(block, prepend=~block[:1]))
        bits[block[runs]] |= np.bitwise_or.reduceat(_PATTERN_ARRAY[chunk & np.uint64(_PATTERN_INDEX)], runs)
    return bytearray(np.invert(bits, out=bits))  # so that a lookup tests the mask's bits with one `&`


def _probe_slots(packed: Keys, home_shift: np.uint64, out: NDArray[np.int64]) -> NDArray[np.int64]:
    """Where linear probing puts keys taken in order of home slot: slot j = max(home j,
    slot j-1 + 1), so slot j - j is the running maximum of home i - i."""
    reach = np.int64(np.iinfo(np.int64).min)
    for part in chunks(len(packed)):
        gap, step = out[part], np.arange(part.start, part.stop, dtype=np.int64)
        np.right_shift(packed[part], home_shift, out=gap.view(np.uint64))
        gap -= step
        np.maximum.accumulate(gap, out=gap)
        np.maximum(gap, reach, out=gap)
        reach = gap[-1]
        gap += step
    return out


class InvalidList:
    """Which cards may not settle, answered from memory with no false answers.

    One writer (the thread that applies changes) and any number of readers.
    """

    def __init__(self, cards: Iterable[tuple[str, str]] = (), *, min_merge: int = MIN_MERGE) -> None:
        self._view = _layers(*sort_cards(*card_arrays(cards)))
        self._min_merge = min_merge

    @classmethod
    def from_arrays(cls, keys: array[int] | Keys, reasons: bytes, *, min_merge: int = MIN_MERGE) -> InvalidList:
        """A list from sorted, distinct keys and their reason indexes (the state file, a snapshot)."""
        keys = np.asarray(keys, dtype=np.uint64)
        indexes = np.frombuffer(reasons, np.uint8)
        if len(keys) != len(indexes):
            raise ValueError("keys and reasons differ in length")
        if len(indexes) and int(indexes.max()) >= len(REASONS):
            raise ValueError("a reason index is out of range")
        if np.any(keys[1:] <= keys[:-1]):
            raise ValueError("card numbers must be sorted and listed once")
        if len(keys) and int(keys[-1]) >= 10**CARD_NO_DIGITS:
            raise ValueError("a key is longer than a card number")
        invalid = cls(min_merge=min_merge)
        invalid._view = _layers(keys, indexes)
        return invalid

    @classmethod
    def from_snapshot(cls, snapshot: DecodedSnapshot, *, min_merge: int = MIN_MERGE) -> InvalidList:
        """The list a downloaded snapshot holds, with no Python object per card."""
        return cls.from_arrays(snapshot.keys, snapshot.reasons, min_merge=min_merge)

    def is_invalid(self, card_no: str) -> bool:
        """Whether the card is on the list (R-SET-2: it may not settle)."""
        try:
            key = int(card_no)
        except (TypeError, ValueError, OverflowError):
            return False
        view = self._view
        if view.filter[key % view.blocks] & PATTERN_MASKS[key & _PATTERN_INDEX]:
            return False  # nearly every card: a bit of its pattern is one no listed card clears
        # The rest inline too, since a Python call costs as much as a probe of the table.
        # int() also reads " 12", "+1", "1_2" and "١": only 16 ASCII digits are a card number,
        # and 16 ASCII characters that int() reads as 10**15 or more can only be 16 digits.
        if not (isinstance(card_no, str) and len(card_no) == CARD_NO_DIGITS and card_no.isascii()):
            return False
        if key < _SIXTEEN_DIGITS and not card_no.isdigit():
            return False
        table, slot = view.table, key % view.slots
        while (held := table[slot]) != key:
            if held == EMPTY:
                return key in view.added
            slot += 1
        return key not in view.removed or key in view.added  # in both when its reason changed

    def __contains__(self, card_no: object) -> bool:
        return isinstance(card_no, str) and self.is_invalid(card_no)

    def reason(self, card_no: str) -> ListReason | None:
        """Why the card is on the list, or None when it is not."""
        key = card_key(card_no)
        view = self._view
        if key is None:
            return None
        if key in view.added:
            return REASONS[view.added[key]]
        if key in view.removed:
            return None
        position = view.position(key)
        return None if position is None else REASONS[view.reasons[position]]

    def __len__(self) -> int:
        view = self._view
        return view.count + len(view.added) - len(view.removed)

    def add(self, card_no: str, reason: str) -> None:
        """List a card (again, or with another reason)."""
        key, index = _require_key(card_no), _reason_index(reason)
        view = self._view
        position = view.position(key)
        if position is not None and view.reasons[position] == index:
            view.removed.discard(key)
            view.added.pop(key, None)
        else:
            view.filter[key % view.blocks] &= ~PATTERN_MASKS[key & _PATTERN_INDEX]  # before it is listed
            view.added[key] = index
            if position is not None:
                view.removed.add(key)  # the overlay's reason replaces the table's
        self._merge_if_large()

    def remove(self, card_no: str) -> None:
        """Take a card off the list; a card not on it stays off."""
        key = card_key(card_no)
        if key is None:
            return
        view = self._view
        view.added.pop(key, None)
        if view.position(key) is not None:
            view.removed.add(key)
        self._merge_if_large()

    def apply(self, op: str, card_no: str, reason: str | None) -> None:
        """Apply one change of the center's log; applying it twice changes nothing."""
        if op == Op.ADD:
            if reason is None:
                raise ValueError("an add carries its reason")
            self.add(card_no, reason)
        elif op == Op.REMOVE:
            self.remove(card_no)
        else:
            raise ValueError(f"unknown change {op!r}")

    def items(self) -> Iterator[tuple[str, ListReason]]:
        """Every listed card with its reason, in card-number order."""
        keys, reasons = _sorted(self._view)
        for key, index in zip(keys.tolist(), reasons.tolist(), strict=True):
            yield f"{key:0{CARD_NO_DIGITS}d}", REASONS[index]

    def export(self) -> tuple[array[int], bytes]:
        """The sorted keys and their reason indexes, overlay included."""
        keys, reasons = _sorted(self._view)
        return array("Q", keys.tobytes()), reasons.tobytes()

    def nbytes(self) -> int:
        """Memory held by the structures, overlay estimated (for the benchmark)."""
        view = self._view
        overlay = 100 * (len(view.added) + len(view.removed))
        return view.table.nbytes + view.reasons.nbytes + len(view.filter) + overlay

    def _merge_if_large(self) -> None:
        view = self._view
        if len(view.added) + len(view.removed) >= max(self._min_merge, view.count // MERGE_FRACTION):
            self._view = _layers(*_sorted(view))


def _sorted(view: _Layers) -> tuple[Keys, Indexes]:
    """The view's cards, overlay included, in key order."""
    table, reasons = np.asarray(view.table), np.asarray(view.reasons)
    used = table != EMPTY
    keys, indexes = table[used], reasons[used]
    if view.removed:
        kept = ~np.isin(keys, np.fromiter(view.removed, np.uint64, len(view.removed)))
        keys, indexes = keys[kept], indexes[kept]
    if view.added:
        keys = np.concatenate([keys, np.fromiter(view.added, np.uint64, len(view.added))])
        indexes = np.concatenate([indexes, np.fromiter(view.added.values(), np.uint8, len(view.added))])
    return sort_cards(keys, indexes)
