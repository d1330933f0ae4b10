"""The terminal's in-memory invalid list, sized for a national list of 10 million cards.

A Python set of card numbers costs about a hundred bytes a card. Here the cards sit in
a sorted array of 64-bit integers (8 bytes a card, plus one for the reason) searched by
bisection, behind a Bloom filter (about 1.2 bytes a card) that turns away nearly every
card that is not listed, which is almost every card a terminal sees. Changes land in a
small overlay and are merged into the array when the overlay grows.

Answers are exact both ways: a Bloom filter never forgets a card it holds, and a card
it wrongly admits is then looked up in the array.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rbloom import Bloom

from sscard.invalid_list.binary import REASONS
from sscard.invalid_list.rules import ListReason, Op

CARD_NO_DIGITS = 16
FALSE_POSITIVE_RATE = 0.01
# Merge the overlay into the array once it holds 1/64 of the array's cards (or 4096).
MERGE_FRACTION = 64
MIN_MERGE = 4096
_REASON_INDEX = {reason.value: index for index, reason in enumerate(REASONS)}


def card_key(card_no: object) -> int | None:
    """The integer a card number is kept as; None for anything that is not one."""
    if isinstance(card_no, str) and len(card_no) == CARD_NO_DIGITS and card_no.isascii() and card_no.isdigit():
        return int(card_no)
    return None


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


def _require_ascending(keys: array[int]) -> None:
    if not all(a < b for a, b in itertools.pairwise(keys)):
        raise ValueError("card numbers must be sorted and listed once")


def _card_no(key: int) -> str:
    return f"{key:0{CARD_NO_DIGITS}d}"


@dataclass(slots=True)
class _Layers:
    """One consistent view: the merged array with its filter, and the changes since.

    Readers take the whole view at once, so a merge that replaces it never shows them
    half of the old state and half of the new. A card is listed when it is in `added`,
    or in `keys` and not in `removed`; a key in `added` that is also in `keys` is
    always in `removed` too (its reason changed).
    """

    keys: array[int]
    reasons: bytes
    bloom: Bloom
    added: dict[int, int] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)

    def index(self, key: int) -> int | None:
        position = bisect.bisect_left(self.keys, key)
        return position if position < len(self.keys) and self.keys[position] == key else None


def _layers(keys: array[int], reasons: bytes) -> _Layers:
    bloom = Bloom(max(len(keys), 1), FALSE_POSITIVE_RATE)
    bloom.update(keys)
    return _Layers(keys, reasons, bloom)


class InvalidList:
    """Which cards may not settle, answered from memory with no false answers.

    One writer (the thread that applies changes) and any number of readers.
    """

    def __init__(self, cards: Iterable[tuple[str, str]] = (), *, min_merge: int = MIN_MERGE) -> None:
        pairs = sorted((_require_key(card_no), _reason_index(reason)) for card_no, reason in cards)
        keys = array("Q", (key for key, _ in pairs))
        _require_ascending(keys)
        self._view = _layers(keys, bytes(index for _, index in pairs))
        self._min_merge = min_merge

    @classmethod
    def from_arrays(cls, keys: array[int], reasons: bytes, *, min_merge: int = MIN_MERGE) -> InvalidList:
        """A list from sorted, distinct keys and their reason indexes (the state file)."""
        if len(keys) != len(reasons):
            raise ValueError("keys and reasons differ in length")
        if reasons and max(reasons) >= len(REASONS):
            raise ValueError("a reason index is out of range")
        _require_ascending(keys)
        invalid = cls(min_merge=min_merge)
        invalid._view = _layers(keys, reasons)
        return invalid

    def __contains__(self, card_no: object) -> bool:
        key = card_key(card_no)
        if key is None:
            return False
        view = self._view
        if key in view.added:
            return True
        if key in view.removed or key not in view.bloom:
            return False
        return view.index(key) is not None

    def is_invalid(self, card_no: str) -> bool:
        """Whether the card is on the list (R-SET-2: it may not settle)."""
        return card_no in self

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
        position = view.index(key)
        return None if position is None else REASONS[view.reasons[position]]

    def __len__(self) -> int:
        view = self._view
        return len(view.keys) + len(view.added) - len(view.removed)

    def add(self, card_no: str, reason: str) -> None:
        """List a card (again, or with another reason)."""
        key, index = _require_key(card_no), _reason_index(reason)
        view = self._view
        position = view.index(key)
        if position is not None and view.reasons[position] == index:
            view.removed.discard(key)
            view.added.pop(key, None)
        else:
            view.added[key] = index
            if position is not None:
                view.removed.add(key)  # the overlay's reason replaces the array's
        self._merge_if_large()

    def remove(self, card_no: str) -> None:
        """Take a card off the list; a card not on it stays off."""
        key = card_key(card_no)
        if key is None:
            return
        view = self._view
        view.added.pop(key, None)
        if view.index(key) is not None:
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
        keys, reasons = self.export()
        for key, index in zip(keys, reasons, strict=True):
            yield _card_no(key), REASONS[index]

    def export(self) -> tuple[array[int], bytes]:
        """The sorted keys and their reason indexes, overlay included."""
        view = self._view
        if not view.added and not view.removed:
            return array("Q", view.keys), view.reasons
        return _merged(view)

    def nbytes(self) -> int:
        """Memory held by the structures, overlay estimated (for the benchmark)."""
        view = self._view
        overlay = 100 * (len(view.added) + len(view.removed))
        return len(view.keys) * view.keys.itemsize + len(view.reasons) + view.bloom.size_in_bits // 8 + overlay

    def _merge_if_large(self) -> None:
        view = self._view
        if len(view.added) + len(view.removed) >= max(self._min_merge, len(view.keys) // MERGE_FRACTION):
            self._view = _layers(*_merged(view))


def _merged(view: _Layers) -> tuple[array[int], bytes]:
    # Copies runs of the array between edits, so a merge costs one pass of memory
    # copying plus a bisection per edit, not a Python step per card.
    keys, reasons, start = array("Q"), bytearray(), 0
    for key in sorted(view.added.keys() | view.removed):
        position = bisect.bisect_left(view.keys, key, start)
        keys.extend(view.keys[start:position])
        reasons.extend(view.reasons[start:position])
        start = position + 1 if key in view.removed else position
        if key in view.added:
            keys.append(key)
            reasons.append(view.added[key])
    keys.extend(view.keys[start:])
    reasons.extend(view.reasons[start:])
    return keys, bytes(reasons)
