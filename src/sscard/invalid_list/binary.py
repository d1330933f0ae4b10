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
varints mostly one byte; zlib then squeezes the reasons, nearly all "lost". The
Luhn digit is recomputed on reading, and every number read back is checked.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from sscard.cards.numbers import luhn_check_digit
from sscard.invalid_list.rules import ListReason

MEDIA_TYPE = "application/vnd.sscard.invalid-list.v1"
MAGIC = b"SSIL"
FORMAT = 1
HEADER = struct.Struct(">4sBQ6sI")
REASONS = tuple(ListReason)
_REASON_INDEX = {reason.value: index for index, reason in enumerate(REASONS)}


class CorruptSnapshot(ValueError):
    """Bytes that are not a snapshot this code can read."""


@dataclass(frozen=True, slots=True)
class DecodedSnapshot:
    version: int
    scope: str
    cards: dict[str, ListReason]


def encode(version: int, scope: str, cards: Iterable[tuple[str, str]]) -> bytes:
    """The binary snapshot of (card_no, reason) pairs."""
    ordered = sorted((int(card_no[:-1]), _REASON_INDEX[reason]) for card_no, reason in cards)
    deltas, previous = bytearray(), 0
    for payload, _ in ordered:
        _put_varint(deltas, payload - previous)
        previous = payload
    reasons = bytes(index for _, index in ordered)
    header = HEADER.pack(MAGIC, FORMAT, version, scope.encode("ascii"), len(ordered))
    return header + zlib.compress(bytes(deltas) + reasons, level=9)


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def decode(data: bytes) -> DecodedSnapshot:
    """Read a binary snapshot; raises CorruptSnapshot."""
    if len(data) < HEADER.size:
        raise CorruptSnapshot("too short for a snapshot header")
    magic, fmt, version, scope, count = HEADER.unpack_from(data)
    if magic != MAGIC or fmt != FORMAT:
        raise CorruptSnapshot("not an sscard invalid-list snapshot of format 1")
    try:
        body = zlib.decompress(data[HEADER.size :])
    except zlib.error as exc:
        raise CorruptSnapshot(f"the body does not decompress: {exc}") from exc
    payloads, offset = _read_varints(body, count)
    if len(body) - offset != count:
        raise CorruptSnapshot("the reasons do not match the count")
    reasons = body[offset:]
    if reasons and max(reasons) >= len(REASONS):
        raise CorruptSnapshot("a reason index is out of range")
    cards = {_card_no(p): REASONS[reasons[i]] for i, p in enumerate(payloads)}
    return DecodedSnapshot(version=version, scope=scope.decode("ascii"), cards=cards)


def _read_varints(body: bytes, count: int) -> tuple[list[int], int]:
    values, offset, current = [], 0, 0
    for _ in range(count):
        delta, shift = 0, 0
        while True:
            if offset >= len(body):
                raise CorruptSnapshot("the card numbers end early")
            byte = body[offset]
            offset += 1
            delta |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        current += delta
        values.append(current)
    return values, offset


def _card_no(payload: int) -> str:
    digits = f"{payload:015d}"
    return digits + luhn_check_digit(digits)
