"""An offline charge proved by the card's cryptogram, computed as a chip would."""

import hashlib
import hmac
import os
import time
from datetime import datetime, timedelta, timezone

import httpx2

BASE = os.environ.get("SSCARD_URL", "http://127.0.0.1:8000")
TERMINAL_ID = "trm_demo_pharmacy"


def bearer(form: dict[str, str]) -> dict[str, str]:
    return {"Authorization": "Bearer " + httpx2.post(f"{BASE}/v1/auth/token", data=form).json()["access_token"]}


admin = bearer({"grant_type": "password", "username": "admin", "password": "sscard-demo"})
terminal = bearer(
    {
        "grant_type": "client_credentials",
        "client_id": TERMINAL_ID,
        "client_secret": "demo-terminal-secret-not-for-production",
    }
)
card_no = httpx2.get(f"{BASE}/v1/persons/1", headers=admin).json()["cards"][0]["card_no"]

# What the card producer writes into the chip (admin only, audited).
card_key = bytes.fromhex(httpx2.get(f"{BASE}/v1/cards/{card_no}/personalization", headers=admin).json()["card_key"])

# The chip signs each offline charge: card_no|counter|amount|category|occurred_at|terminal_id|pin_verified
counter, amount, category = int(time.time()), 860, "drug"  # a counter is good once per card
occurred_at = datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds")  # China Standard Time
message = f"{card_no}|{counter}|{amount}|{category}|{occurred_at}|{TERMINAL_ID}|1".encode()
cryptogram = hmac.new(card_key, message, hashlib.sha256).digest()[:16].hex()

list_version = httpx2.get(f"{BASE}/v1/invalid-list/changes", params={"since": 0}, headers=terminal).json()["version"]
charge = {
    "local_id": "till-1-0001",
    "card_no": card_no,
    "amount": amount,
    "category": category,
    "occurred_at": occurred_at,
    "list_version": list_version,
    "counter": counter,
    "pin_verified": True,
    "cryptogram": cryptogram,
}
upload = httpx2.post(f"{BASE}/v1/settlements/offline", json={"transactions": [charge]}, headers=terminal)
print(upload.json()["results"])  # [{'local_id': 'till-1-0001', 'status': 'posted', ...}]
assert upload.json()["results"][0]["status"] == "posted"

again = httpx2.post(f"{BASE}/v1/settlements/offline", json={"transactions": [charge]}, headers=terminal)
print(again.json()["results"][0]["code"])  # counter_reused: the same proof never pays twice
