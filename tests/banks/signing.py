"""Checking a pushed event's Sscard-Signature the way a bank would, without sscard's code."""

from __future__ import annotations

import hashlib
import re

BLOCK = 64  # SHA-256's block size in bytes
HEADER = re.compile(r"t=(?P<t>\d+),v1=(?P<mac>[0-9a-f]{64})")


def hmac_sha256(key: bytes, message: bytes) -> str:
    """RFC 2104 HMAC over SHA-256, from hashlib alone; lowercase hex."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).hexdigest()


def verified_timestamp(header: str, secret: str, body: bytes) -> int:
    """The header's timestamp when its MAC is right for the body; AssertionError if not."""
    parsed = HEADER.fullmatch(header)
    assert parsed is not None, header
    expected = hmac_sha256(secret.encode(), parsed["t"].encode() + b"." + body)
    assert parsed["mac"] == expected, "the signature does not match the body"
    return int(parsed["t"])
