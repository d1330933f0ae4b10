"""Keep a copy of the invalid list: the binary snapshot, then changes, then the stream."""

import os
import struct
import zlib

import httpx2

BASE = os.environ.get("SSCARD_URL", "http://127.0.0.1:8000")
REASONS = ("lost", "damaged", "demagnetized", "expired", "replaced", "cancelled")


def bearer(form: dict[str, str]) -> dict[str, str]:
    return {"Authorization": "Bearer " + httpx2.post(f"{BASE}/v1/auth/token", data=form).json()["access_token"]}


def luhn_digit(payload: str) -> str:
    total = 0
    for i, digit in enumerate(reversed(payload)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def decode(data: bytes) -> tuple[int, str, dict[str, str]]:
    """The compact snapshot: header, then a zlib body of delta varints and reason bytes."""
    magic, fmt, version, scope, count = struct.unpack_from(">4sBQ6sI", data)
    assert (magic, fmt) == (b"SSIL", 1)
    body = zlib.decompress(data[struct.calcsize(">4sBQ6sI") :])
    payload, shift, pos, payloads = 0, 0, 0, []
    while len(payloads) < count:  # LEB128: 7 bits a byte, low bits first, high bit = more
        byte = body[pos]
        pos += 1
        payload += (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            payloads.append(payload + (payloads[-1] if payloads else 0))
            payload, shift = 0, 0
    reasons = body[pos : pos + count]
    cards = {}
    for value, reason in zip(payloads, reasons, strict=True):
        first15 = f"{value:015d}"
        cards[first15 + luhn_digit(first15)] = REASONS[reason]
    return version, scope.decode(), cards


terminal = bearer(
    {
        "grant_type": "client_credentials",
        "client_id": "trm_demo_pharmacy",
        "client_secret": "demo-terminal-secret-not-for-production",
    }
)
binary = {"Accept": "application/vnd.sscard.invalid-list.v1"}
version, scope, cards = decode(httpx2.get(f"{BASE}/v1/invalid-list/snapshot", headers=terminal | binary).content)
print(f"snapshot of {scope} at version {version}: {len(cards)} invalid cards")

# A cardholder reports their card lost: the list changes.
holder = bearer({"grant_type": "password", "username": "zhang.jianguo", "password": "sscard-demo"})
card_no = httpx2.get(f"{BASE}/v1/persons/3", headers=holder).json()["cards"][0]["card_no"]
report = {"kind": "provisional", "channel": "online"}
assert httpx2.post(f"{BASE}/v1/cards/{card_no}/loss-reports", json=report, headers=holder).status_code == 201

# Changes since the snapshot's version, oldest first (410 snapshot_required if too old).
changes = httpx2.get(f"{BASE}/v1/invalid-list/changes", params={"since": version}, headers=terminal).json()
for change in changes["changes"]:
    cards[change["card_no"]] = change["reason"]  # an "add"; a "remove" would delete it
    print(change["version"], change["op"], change["card_no"], change["reason"])
assert cards[card_no] == "lost"

# The stream: Last-Event-ID resumes after a version; missed changes come first, then live ones.
resume = terminal | {"Last-Event-ID": str(version)}
with httpx2.stream("GET", f"{BASE}/v1/invalid-list/stream", headers=resume, timeout=10) as events:
    for line in events.iter_lines():
        if line.startswith("id:"):
            print("stream event, version", line[3:].strip())
            break
