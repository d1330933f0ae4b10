"""The compact binary snapshot a terminal downloads (R-INV-3).

Layout (all integers big-endian):

    magic   4 bytes  b"SSIL"
    format  1 byte   1
    version 8 bytes  the list version the snapshot is as of
    scope   6 bytes  ASCII region code
    count   4 bytes  number of cards
    body    zlib stream of:
              count varints: card numbers without their Luhn digit (the first 15
                             digits as an integer), sorted, each the difference
                             from the one before (the first from 0)
              count bytes:   each card's reason, as an index into REASONS

Card numbers of a region are dense serials, so the differences are small and the
varints mostly one or two bytes; zlib then squeezes the reasons, nearly all "lost".
The Luhn digit is recomputed on reading, so writing refuses a card number whose last
digit is not its Luhn digit.

Both directions work on NumPy arrays, never a Python step per card, so a national list
of ten million cards encodes in about three seconds and decodes in under one. The same
helpers parse (card_no, reason) pairs for the terminal's list.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import TypeAlias, TypeGuard

import numpy as np
from numpy.typing import NDArray

from sscard.invalid_list.rules import ListReason

MEDIA_TYPE = "application/vnd.sscard.invalid-list.v1"
MAGIC = b"SSIL"
FORMAT = 1
HEADER = struct.Struct(">4sBQ6sI")
REASONS = tuple(ListReason)
REASON_BITS = 3  # a reason index fits in 3 bits, so a (key, reason) pair sorts as one integer
CARD_NO_DIGITS = 16
PAYLOAD_LIMIT = 10 ** (CARD_NO_DIGITS - 1)
MAX_VARINT_BYTES = 8  # 7 bits each: 56 bits, more than a 15-digit payload needs
# Level 6 is 4 % smaller on random cards and 15 % on dense serials, and three to eight
# times slower: the snapshot is built per request, and downloaded once per terminal.
ZLIB_LEVEL = 1
_REASON_INDEX = {reason.value: index for index, reason in enumerate(REASONS)}
_SEPARATOR = ord(",")
# Cards a pass takes at a time. Small arrays are reused from the heap; fresh large ones
# cost a page fault every 4 KiB (and NumPy asks for huge pages, which can mean a wait
# for the kernel to compact memory): more than the arithmetic on them.
CHUNK = 1 << 18

assert len(REASONS) <= 1 << REASON_BITS

Keys: TypeAlias = NDArray[np.uint64]
Indexes: TypeAlias = NDArray[np.uint8]


class CorruptSnapshot(ValueError):
    """Bytes that are not a snapshot this code can read."""


@dataclass(frozen=True, slots=True)
class DecodedSnapshot:
    """A snapshot as arrays: `keys` are the card numbers as integers (all 16 digits),
    ascending; `reasons` holds each card's index into REASONS."""

    version: int
    scope: str
    keys: Keys
    reasons: bytes

    @property
    def cards(self) -> dict[str, ListReason]:
        """Every card with its reason, as Python objects (a dict of ten million takes seconds)."""
        return {
            f"{key:0{CARD_NO_DIGITS}d}": REASONS[index]
            for key, index in zip(self.keys.tolist(), self.reasons, strict=True)
        }


def encode(version: int, scope: str, cards: Iterable[tuple[str, str]]) -> bytes:
    """The binary snapshot of (card_no, reason) pairs; raises ValueError for a malformed,
    repeated or mistyped (Luhn) card number or an unknown reason."""
    keys, reasons = sort_cards(*card_arrays(cards))
    payloads = keys // np.uint64(10)
    deltas = np.diff(payloads, prepend=np.uint64(0))
    varints = []
    for part in chunks(len(keys)):
        if np.any(luhn_digits(payloads[part]) != keys[part] % np.uint64(10)):
            raise ValueError("a card number's last digit is not its Luhn digit")
        varints.append(_varints(deltas[part]))
    header = HEADER.pack(MAGIC, FORMAT, version, scope.encode("ascii"), len(keys))
    return header + zlib.compress(b"".join([*varints, reasons.tobytes()]), level=ZLIB_LEVEL)


def decode(data: bytes) -> DecodedSnapshot:
    """Read a binary snapshot; raises CorruptSnapshot."""
    if len(data) < HEADER.size:
        raise CorruptSnapshot("too short for a snapshot header")
    magic, fmt, version, scope, count = HEADER.unpack_from(data)
    if magic != MAGIC or fmt != FORMAT:
        raise CorruptSnapshot(f"not an sscard invalid-list snapshot of format {FORMAT}")
    if not scope.isascii():
        raise CorruptSnapshot("the scope is not a region code")
    body = np.frombuffer(_decompress(data[HEADER.size :], count * (MAX_VARINT_BYTES + 1)), np.uint8)
    if len(body) < 2 * count:
        raise CorruptSnapshot("the body is too short for the count")
    reasons = body[len(body) - count :]
    if count and int(reasons.max()) >= len(REASONS):
        raise CorruptSnapshot("a reason index is out of range")
    keys = _read_varints(body[: len(body) - count], count)
    np.cumsum(keys, out=keys)
    # Each delta is below 2**56, so a sum that wrapped around would show as a step down.
    if count and (np.any(keys[1:] <= keys[:-1]) or int(keys[-1]) >= PAYLOAD_LIMIT):
        raise CorruptSnapshot("the card numbers are not ascending, distinct 15-digit payloads")
    for part in chunks(count):
        payloads = keys[part]
        luhn = luhn_digits(payloads)
        payloads *= np.uint64(10)
        payloads += luhn
    return DecodedSnapshot(version=version, scope=scope.decode("ascii"), keys=keys, reasons=reasons.tobytes())


def chunks(count: int) -> Iterator[slice]:
    """Slices of CHUNK items that cover `count`."""
    return (slice(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK))


def _decompress(stream: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(stream, limit + 1)  # bounded: a small stream may not inflate without end
    except zlib.error as exc:
        raise CorruptSnapshot(f"the body does not decompress: {exc}") from exc
    if len(body) > limit or not inflater.eof or inflater.unused_data:
        raise CorruptSnapshot("the body is not one zlib stream of the size the count allows")
    return body


# Varint lengths 2 to 8 start at these values.
_VARINT_LIMITS = np.array([1 << (7 * length) for length in range(1, MAX_VARINT_BYTES)], np.uint64)
# By length - 1: the bytes of a varint that long, and their continuation bits.
_VARINT_BYTES = np.array([(1 << (8 * length)) - 1 for length in range(1, MAX_VARINT_BYTES + 1)], np.uint64)
_VARINT_MORE = np.array([0x8080_8080_8080_8080 & ((1 << (8 * length)) - 1) for length in range(8)], np.uint64)


def _varints(values: Keys) -> bytes:
    """LEB128 varints of the values: each spread to a 64-bit word, then only the bytes
    each uses, back to back."""
    lengths = np.searchsorted(_VARINT_LIMITS, values, side="right")  # less one
    width = int(lengths.max()) + 1 if len(values) else 0
    words = values & np.uint64(0x7F)
    for group in range(1, width):
        words |= (values << np.uint64(group)) & np.uint64(0x7F << (8 * group))
    words |= _VARINT_MORE[lengths]
    spread = words.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)[:, :width]
    return spread[np.arange(width) <= lengths[:, None]].tobytes()


def _read_varints(region: Indexes, count: int) -> Keys:
    """`count` LEB128 varints filling `region`: each read as the 64-bit word from its
    first byte on, and folded back to 7 bits a byte."""
    ends = np.flatnonzero(region < 0x80)
    if len(ends) != count or (count and ends[-1] != len(region) - 1):
        raise CorruptSnapshot("the card numbers do not match the count")
    padded = np.concatenate([region, np.zeros(MAX_VARINT_BYTES, np.uint8)])
    unaligned = np.ndarray((len(region) + 1,), "<u8", padded, strides=(1,))
    values = np.empty(count, np.uint64)
    for part in chunks(count):
        last = ends[part]
        first = np.empty_like(last)
        first[0] = ends[part.start - 1] + 1 if part.start else 0
        first[1:] = last[:-1] + 1
        lengths = last - first  # less one
        width = int(lengths.max()) + 1
        if width > MAX_VARINT_BYTES:
            raise CorruptSnapshot("a card number's varint is too long")
        words = unaligned[first].astype(np.uint64, copy=False) & _VARINT_BYTES[lengths]
        folded = words & np.uint64(0x7F)
        for group in range(1, width):
            folded |= (words >> np.uint64(group)) & np.uint64(0x7F << (7 * group))
        values[part] = folded
    return values


def card_arrays(cards: Iterable[tuple[str, str]]) -> tuple[Keys, Indexes]:
    """Card numbers as integers and reasons as indexes, in the order given; raises
    ValueError for anything but 16 ASCII digits or an unknown reason."""
    pairs = list(cards)
    numbers = list(map(itemgetter(0), pairs))
    try:
        indexes = bytes(map(_REASON_INDEX.__getitem__, map(itemgetter(1), pairs)))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a reason a card is listed for") from None
    keys = np.empty(len(numbers), np.uint64)
    for part in chunks(len(numbers)):
        parsed = _parse_card_numbers(numbers[part])
        if parsed is None:
            bad = next(number for number in numbers[part] if not is_card_number_text(number))
            raise ValueError(f"{bad!r} is not a card number")
        keys[part] = parsed
    return keys, np.frombuffer(indexes, np.uint8)


def _parse_card_numbers(numbers: list[str]) -> Keys | None:
    """The numbers as integers, eight digits to a 64-bit word at a time; None unless
    every one is 16 ASCII digits."""
    block = CARD_NO_DIGITS + 1
    try:
        text = (",".join(numbers) + ",").encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return None
    # Blocks of 16 digits and a comma hold one card each exactly when every comma is in
    # its place and every other character is a digit.
    if len(text) != block * len(numbers) or np.any(np.frombuffer(text, np.uint8)[CARD_NO_DIGITS::block] != _SEPARATOR):
        return None
    halves = np.ndarray((len(numbers), 2), "<u8", text, strides=(block, 8)).astype(np.uint64)
    # A digit is 0x30-0x39: its high nibble is 3, and still is with 6 added.
    high, threes = np.uint64(0xF0F0_F0F0_F0F0_F0F0), np.uint64(0x3030_3030_3030_3030)
    if np.any((halves & high) != threes) or np.any(((halves + np.uint64(0x0606_0606_0606_0606)) & high) != threes):
        return None
    # Eight digits, first in the lowest byte: fold pairs, then quads, then the eight.
    for mask, multiplier, shift in _FOLDS:
        halves &= mask
        halves *= multiplier
        halves >>= shift
    return halves[:, 0] * np.uint64(100_000_000) + halves[:, 1]


_FOLDS = [
    (np.uint64(0x0F0F_0F0F_0F0F_0F0F), np.uint64(10 << 8 | 1), np.uint64(8)),
    (np.uint64(0x00FF_00FF_00FF_00FF), np.uint64(100 << 16 | 1), np.uint64(16)),
    (np.uint64(0x0000_FFFF_0000_FFFF), np.uint64(10000 << 32 | 1), np.uint64(32)),
]


def is_card_number_text(value: object) -> TypeGuard[str]:
    """Exactly 16 ASCII digits (str.isdigit alone also accepts other scripts' digits)."""
    return isinstance(value, str) and len(value) == CARD_NO_DIGITS and value.isascii() and value.isdigit()


def sort_cards(keys: Keys, reasons: Indexes) -> tuple[Keys, Indexes]:
    """The pairs in key order; raises ValueError when a card appears twice."""
    both = keys << np.uint64(REASON_BITS)
    both |= reasons
    both.sort()
    keys = both >> np.uint64(REASON_BITS)
    if np.any(keys[1:] == keys[:-1]):
        raise ValueError("card numbers must be listed once")
    both &= np.uint64((1 << REASON_BITS) - 1)
    return keys, both.astype(np.uint8)


def luhn_digits(payloads: Keys) -> Keys:
    """The Luhn digit of each 15-digit payload, five digits at a time from tables."""
    starting_doubled, starting_plain = _luhn_tables()
    high = payloads // np.uint64(10**10)
    low = payloads - high * np.uint64(10**10)
    middle = low // np.uint64(10**5)
    low -= middle * np.uint64(10**5)
    total: NDArray[np.int16] = starting_doubled[low] + starting_plain[middle] + starting_doubled[high]
    return (-total % 10).astype(np.uint64)


@cache
def _luhn_tables() -> tuple[NDArray[np.int16], NDArray[np.int16]]:
    """For every 5-digit group, its Luhn sum when its last digit is doubled, and when not.

    The payload's last digit (next to the check digit) is doubled, then every second one.
    """
    values = np.arange(100_000)
    digits = [values // 10**position % 10 for position in range(5)]
    doubled = [np.where(digit > 4, 2 * digit - 9, 2 * digit) for digit in digits]
    starting_doubled = sum(doubled[p] if p % 2 == 0 else digits[p] for p in range(5))
    starting_plain = sum(digits[p] if p % 2 == 0 else doubled[p] for p in range(5))
    return np.asarray(starting_doubled, np.int16), np.asarray(starting_plain, np.int16)
