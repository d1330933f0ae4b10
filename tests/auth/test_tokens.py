"""Bearer tokens (TokenSigner) and the principal's scope checks (roles.Principal)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.auth import tokens
from sscard.auth.tokens import TokenSigner
from sscard.errors import Forbidden, OutOfRegion, Unauthenticated
from sscard.roles import Principal, Role

SECRET = b"test-secret-" + b"x" * 40
TTL = timedelta(minutes=15)
# 10:00 in Beijing on Monday 2 March 2026.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CLERK = Principal(subject="clerk-1", role=Role.CLERK, region="110105")


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SECRET, TTL)


def _forge(claims: dict[str, Any]) -> str:
    """A token under the signer's key with claims of our choosing (the key derivation is tokens.py's)."""
    key = hmac.new(SECRET, b"sscard/token-key/v1", hashlib.sha256).digest()
    return jwt.encode(claims, key, algorithm="HS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize(
    "principal",
    [
        pytest.param(Principal(subject="admin", role=Role.ADMIN), id="national-admin"),
        pytest.param(CLERK, id="district-clerk"),
        pytest.param(Principal(subject="op", role=Role.OPERATOR, region="130700"), id="city-operator"),
        pytest.param(Principal(subject="icbc-1", role=Role.BANK, region="510000", bank="ICBC"), id="bank"),
        pytest.param(Principal(subject="pos-7", role=Role.TERMINAL, region="510703", institution_id=7), id="terminal"),
        pytest.param(Principal(subject="aud", role=Role.AUDITOR, region="000000"), id="auditor"),
        pytest.param(Principal(subject="p-42", role=Role.CARDHOLDER, region="110105", person_id=42), id="cardholder"),
        pytest.param(
            Principal(
                subject="王小明", role=Role.CARDHOLDER, region="110105", person_id=0, bank="ABC", institution_id=0
            ),
            id="every-field",
        ),
    ],
)
def test_round_trip_keeps_every_principal_field(signer: TokenSigner, principal: Principal) -> None:
    token = signer.issue(principal, NOW)
    assert signer.verify(token, NOW) == principal
    assert signer.verify(token, NOW + TTL - timedelta(seconds=1)) == principal


@given(
    subject=st.text(min_size=1, max_size=30),
    role=st.sampled_from(list(Role)),
    region=st.text(alphabet="0123456789", min_size=6, max_size=6),
    person_id=st.none() | st.integers(min_value=0, max_value=2**53),
    bank=st.none() | st.text(min_size=1, max_size=10),
    institution_id=st.none() | st.integers(min_value=0, max_value=2**53),
)
def test_round_trip_property(
    subject: str, role: Role, region: str, person_id: int | None, bank: str | None, institution_id: int | None
) -> None:
    signer = TokenSigner(SECRET, TTL)
    principal = Principal(subject, role, region, person_id, bank, institution_id)
    assert signer.verify(signer.issue(principal, NOW), NOW + timedelta(minutes=1)) == principal


def test_expiry_is_exactly_now_plus_ttl(signer: TokenSigner) -> None:
    token = signer.issue(CLERK, NOW)
    assert signer.verify(token, NOW + TTL - timedelta(seconds=1)) == CLERK
    for later in (NOW + TTL, NOW + TTL + timedelta(seconds=1), NOW + timedelta(days=365)):
        with pytest.raises(Unauthenticated):
            signer.verify(token, later)


def test_the_ttl_is_the_signers(signer: TokenSigner) -> None:
    short = TokenSigner(SECRET, timedelta(seconds=30))
    token = short.issue(CLERK, NOW)
    with pytest.raises(Unauthenticated):
        signer.verify(token, NOW + timedelta(seconds=30))


def test_verification_follows_the_given_clock_not_the_wall_clock(signer: TokenSigner) -> None:
    """The service passes its own clock's `now`; a token issued and checked at that time must pass.

    Here the service clock is ahead of the wall clock (a FixedClock in the future, or
    a signing server a few seconds ahead of the verifying one).
    """
    future = datetime(2100, 1, 1, tzinfo=UTC)
    token = signer.issue(CLERK, future)
    assert signer.verify(token, future + timedelta(minutes=1)) == CLERK


def test_a_token_under_another_secret_is_refused(signer: TokenSigner) -> None:
    token = TokenSigner(b"another-secret-" + b"y" * 40, TTL).issue(CLERK, NOW)
    with pytest.raises(Unauthenticated):
        signer.verify(token, NOW)


def test_a_token_signed_with_the_raw_secret_is_refused(signer: TokenSigner) -> None:
    claims = {"iss": "sscard", "sub": "x", "role": "admin", "region": "000000", "iat": NOW, "exp": NOW + TTL}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        signer.verify(token, NOW)


def test_a_tampered_payload_is_refused(signer: TokenSigner) -> None:
    header, payload, signature = signer.issue(CLERK, NOW).split(".")
    claims = json.loads(_unb64(payload))
    assert claims["role"] == "clerk"
    claims["role"] = "admin"
    claims["region"] = "000000"
    forged = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    with pytest.raises(Unauthenticated):
        signer.verify(forged, NOW)


def test_a_tampered_signature_is_refused(signer: TokenSigner) -> None:
    header, payload, signature = signer.issue(CLERK, NOW).split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    with pytest.raises(Unauthenticated):
        signer.verify(f"{header}.{payload}.{flipped}", NOW)


def test_an_unsigned_token_is_refused(signer: TokenSigner) -> None:
    claims = {"iss": "sscard", "sub": "x", "role": "admin", "region": "000000", "iat": NOW, "exp": NOW + TTL}
    token = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(Unauthenticated):
        signer.verify(token, NOW)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "...", "Bearer x", "eyJhbGciOiJIUzI1NiJ9..", "é.é.é"])
def test_garbage_is_refused(signer: TokenSigner, token: str) -> None:
    with pytest.raises(Unauthenticated):
        signer.verify(token, NOW)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
        pytest.param({"role": "superuser"}, id="unknown-role"),
        pytest.param({"exp": None}, id="no-exp"),
        pytest.param({"sub": None}, id="no-sub"),
        pytest.param({"role": None}, id="no-role"),
        pytest.param({"iat": None}, id="no-iat"),
    ],
)
def test_a_well_signed_token_with_bad_claims_is_refused(signer: TokenSigner, change: dict[str, Any]) -> None:
    claims: dict[str, Any] = {
        "iss": "sscard",
        "sub": "x",
        "role": "clerk",
        "region": "110105",
        "iat": NOW,
        "exp": NOW + TTL,
    }
    assert signer.verify(_forge(claims), NOW) == Principal("x", Role.CLERK, "110105")
    for claim, value in change.items():
        if value is None:
            del claims[claim]
        else:
            claims[claim] = value
    with pytest.raises(Unauthenticated):
        signer.verify(_forge(claims), NOW)


# --- Principal scope checks (roles.py) ---


@pytest.mark.parametrize(
    ("scope", "region"),
    [
        ("000000", "110105"),
        ("000000", "510000"),
        ("110000", "110105"),
        ("110000", "110000"),
        ("130700", "130722"),
        ("130700", "130700"),
        ("110105", "110105"),
    ],
)
def test_require_region_inside_the_scope(scope: str, region: str) -> None:
    Principal(subject="s", role=Role.CLERK, region=scope).require_region(region)


@pytest.mark.parametrize(
    ("scope", "region"),
    [
        ("110000", "130700"),
        ("130700", "130000"),  # a city does not cover its province
        ("130700", "510703"),
        ("110105", "110106"),  # nor one district another
        ("110105", "110100"),  # nor a district its city
        ("510703", "000000"),
    ],
)
def test_require_region_outside_the_scope_is_out_of_region(scope: str, region: str) -> None:
    with pytest.raises(OutOfRegion) as caught:
        Principal(subject="s", role=Role.CLERK, region=scope).require_region(region)
    assert caught.value.status == 403
    assert caught.value.code == "out_of_region"


def test_a_cardholder_acts_on_their_own_person_anywhere() -> None:
    holder = Principal(subject="p", role=Role.CARDHOLDER, region="110105", person_id=42)
    holder.require_person(42, "110105")
    holder.require_person(42, "510703")


@pytest.mark.parametrize("person_id", [41, 43, 0])
def test_a_cardholder_is_forbidden_another_person(person_id: int) -> None:
    holder = Principal(subject="p", role=Role.CARDHOLDER, region="110105", person_id=42)
    with pytest.raises(Forbidden):
        holder.require_person(person_id, "110105")


def test_a_cardholder_without_a_person_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        Principal(subject="p", role=Role.CARDHOLDER, region="110105").require_person(1, "110105")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLERK, Role.OPERATOR, Role.BANK, Role.AUDITOR])
def test_staff_act_on_persons_in_scope(role: Role) -> None:
    Principal(subject="s", role=role, region="110000").require_person(7, "110105")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLERK, Role.OPERATOR, Role.BANK, Role.AUDITOR])
def test_staff_out_of_scope_are_out_of_region(role: Role) -> None:
    with pytest.raises(OutOfRegion):
        Principal(subject="s", role=role, region="110000").require_person(7, "130722")


def test_a_terminal_cannot_act_on_persons() -> None:
    terminal = Principal(subject="pos", role=Role.TERMINAL, region="000000", institution_id=3)
    with pytest.raises(Forbidden) as caught:
        terminal.require_person(7, "110105")
    assert caught.value.code == "forbidden"


def test_a_bank_user_acts_on_its_own_bank_only() -> None:
    bank = Principal(subject="b", role=Role.BANK, region="110000", bank="ICBC")
    bank.require_bank("ICBC")
    with pytest.raises(Forbidden):
        bank.require_bank("ABC")


def test_a_bank_user_without_a_bank_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        Principal(subject="b", role=Role.BANK, region="110000").require_bank("ICBC")


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.BANK])
def test_require_bank_does_not_restrict_other_roles(role: Role) -> None:
    Principal(subject="s", role=role, region="110000", bank="ABC").require_bank("ICBC")


def test_a_token_verified_once_still_expires(signer: TokenSigner) -> None:
    token = signer.issue(CLERK, NOW)
    assert signer.verify(token, NOW) == CLERK  # its signature is now known good
    assert signer.verify(token, NOW + TTL - timedelta(seconds=1)) == CLERK
    with pytest.raises(Unauthenticated, match="expired"):
        signer.verify(token, NOW + TTL)


def test_a_forgery_of_a_verified_token_is_still_refused(signer: TokenSigner) -> None:
    token = signer.issue(CLERK, NOW)
    signer.verify(token, NOW)
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload)) | {"role": "admin"}
    with pytest.raises(Unauthenticated):
        signer.verify(".".join([header, _b64(json.dumps(claims).encode()), signature]), NOW)


def test_a_full_cache_of_verified_tokens_starts_over(signer: TokenSigner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS", 3)
    issued = [signer.issue(CLERK, NOW + timedelta(seconds=second)) for second in range(5)]
    for token in issued:
        assert signer.verify(token, NOW) == CLERK
        assert len(signer._verified) <= 3
    assert all(signer.verify(token, NOW) == CLERK for token in issued)
