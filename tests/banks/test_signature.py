"""R-NOTE-2's signature, pure: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`,
checked against an HMAC computed from hashlib alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.banks.push import signature
from tests.banks.signing import hmac_sha256, verified_timestamp


def test_r_note_2_the_independent_hmac_matches_rfc_4231() -> None:
    # RFC 4231, test case 2.
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert hmac_sha256(b"Jefe", b"what do ya want for nothing?") == expected
    long_key = b"\xaa" * 131  # test case 6: a key longer than a block is hashed first
    message = b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert hmac_sha256(long_key, message) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"


@given(st.text(min_size=16, max_size=200), st.integers(0, 2**33), st.binary(max_size=500))
def test_r_note_2_the_signature_is_hmac_sha256_of_timestamp_dot_body(secret: str, t: int, body: bytes) -> None:
    header = signature(secret, t, body)
    assert header == f"t={t},v1={hmac_sha256(secret.encode(), f'{t}.'.encode() + body)}"
    assert verified_timestamp(header, secret, body) == t


def test_r_note_2_a_changed_body_or_another_secret_fails_the_check() -> None:
    body = b'{"event_id":1,"kind":"loss"}'
    header = signature("icbc-signing-secret-0123456789", 1772416800, body)
    with pytest.raises(AssertionError):
        verified_timestamp(header, "icbc-signing-secret-0123456789", body.replace(b"loss", b"lift"))
    with pytest.raises(AssertionError):
        verified_timestamp(header, "ccb-signing-secret-01234567890", body)
