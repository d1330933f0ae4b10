"""A settlement sent twice under one Idempotency-Key is made once."""

import os
import uuid

import httpx2

BASE = os.environ.get("SSCARD_URL", "http://127.0.0.1:8000")


def bearer(form: dict[str, str]) -> dict[str, str]:
    return {"Authorization": "Bearer " + httpx2.post(f"{BASE}/v1/auth/token", data=form).json()["access_token"]}


terminal = bearer(
    {
        "grant_type": "client_credentials",
        "client_id": "trm_demo_pharmacy",
        "client_secret": "demo-terminal-secret-not-for-production",
    }
)
clerk = bearer({"grant_type": "password", "username": "clerk.beijing", "password": "sscard-demo"})
card_no = httpx2.get(f"{BASE}/v1/persons/1", headers=clerk).json()["cards"][0]["card_no"]

charge = {"card_no": card_no, "pin": "135790", "amount": 1250, "category": "drug"}
key = {"Idempotency-Key": str(uuid.uuid4())}  # one key per charge, kept until it is answered
first = httpx2.post(f"{BASE}/v1/settlements", json=charge, headers=terminal | key)
again = httpx2.post(f"{BASE}/v1/settlements", json=charge, headers=terminal | key)  # say, after a timeout
assert first.status_code == again.status_code == 201
assert first.json() == again.json()  # the same settlement: the money moved once
print("settled once:", first.json()["settlement_id"], "balance after", first.json()["balance_after"])

other = httpx2.post(f"{BASE}/v1/settlements", json=charge | {"amount": 99}, headers=terminal | key)
print(other.status_code, other.json()["code"])  # 409 idempotency_mismatch: a key names one body
