"""Sign in as a terminal and as a clerk, and read a refusal (problem+json)."""

import os

import httpx2

BASE = os.environ.get("SSCARD_URL", "http://127.0.0.1:8000")

# A terminal: OAuth2 client credentials (the demo pharmacy's terminal).
form = {
    "grant_type": "client_credentials",
    "client_id": "trm_demo_pharmacy",
    "client_secret": "demo-terminal-secret-not-for-production",
}
token = httpx2.post(f"{BASE}/v1/auth/token", data=form).json()
print(token["token_type"], "token, valid for", token["expires_in"], "s")

# Staff: the password grant.
form = {"grant_type": "password", "username": "clerk.beijing", "password": "sscard-demo"}
clerk = {"Authorization": "Bearer " + httpx2.post(f"{BASE}/v1/auth/token", data=form).json()["access_token"]}
person = httpx2.get(f"{BASE}/v1/persons/1", headers=clerk).json()
print(person["name"], person["cards"][0]["status"], "balance", person["balance"], "fen")

# Every refusal is application/problem+json with a stable `code`.
refused = httpx2.get(f"{BASE}/v1/persons/1")
assert refused.headers["content-type"].startswith("application/problem+json")
print(refused.status_code, refused.json()["code"])  # 401 unauthenticated
