"""The terminal's list on disk: version, scope and cards, replaced atomically.

Layout (little-endian):

    magic   4 bytes  b"SSTL"
    format  1 byte   1
    version 8 bytes  the list version the cards are as of
    scope   6 bytes  ASCII region code
    count   4 bytes  number of cards
    keys    8 bytes a card: the card numbers as integers, ascending
    reasons 1 byte a card: indexes into invalid_list.binary.REASONS
    crc32   4 bytes  of everything before it

The arrays load as they lie, with no parsing per card, so a national list of ten
million cards loads in moments. The file is written beside its final name, flushed
to disk and renamed over it: a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

from sscard.invalid_list.lookup import InvalidList

MAGIC = b"SSTL"
FORMAT = 1
HEADER = struct.Struct("<4sBQ6sI")
CRC = struct.Struct("<I")


class CorruptState(ValueError):
    """A state file this code cannot trust."""


@dataclass(slots=True)
class TerminalState:
    """The list a terminal holds: every change up to `version` of `scope` applied."""

    version: int
    scope: str
    cards: InvalidList


def encode_state(state: TerminalState) -> bytes:
    """The state file's bytes."""
    keys, reasons = state.cards.export()
    header = HEADER.pack(MAGIC, FORMAT, state.version, state.scope.encode("ascii"), len(keys))
    body = header + _little_endian(keys).tobytes() + reasons
    return body + CRC.pack(zlib.crc32(body))


def decode_state(data: bytes) -> TerminalState:
    """Read a state file's bytes; raises CorruptState."""
    if len(data) < HEADER.size + CRC.size:
        raise CorruptState("too short for a state file")
    body, (crc,) = data[: -CRC.size], CRC.unpack(data[-CRC.size :])
    if zlib.crc32(body) != crc:
        raise CorruptState("the checksum does not match")
    magic, fmt, version, scope, count = HEADER.unpack_from(body)
    if magic != MAGIC or fmt != FORMAT:
        raise CorruptState("not a terminal state file of format 1")
    if len(body) != HEADER.size + 9 * count:
        raise CorruptState("the length does not match the count")
    keys = array("Q")
    keys.frombytes(body[HEADER.size : HEADER.size + 8 * count])
    try:
        cards = InvalidList.from_arrays(_little_endian(keys), body[HEADER.size + 8 * count :])
    except ValueError as exc:
        raise CorruptState(str(exc)) from exc
    return TerminalState(version=version, scope=scope.decode("ascii"), cards=cards)


def _little_endian(keys: array[int]) -> array[int]:
    """The same array in little-endian byte order (a no-op on little-endian hosts)."""
    if sys.byteorder == "little":
        return keys
    swapped = array("Q", keys)
    swapped.byteswap()
    return swapped


def save_state(path: Path, state: TerminalState) -> None:
    """Replace the state file atomically."""
    data = encode_state(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with scratch.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    scratch.replace(path)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk too.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def load_state(path: Path) -> TerminalState | None:
    """The saved state, or None when there is no file yet; raises CorruptState."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return decode_state(data)
