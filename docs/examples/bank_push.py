"""A bank's endpoint: receive pushed card events and check their Sscard-Signature."""

import hashlib
import hmac
import json
import os
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx2

BASE = os.environ.get("SSCARD_URL", "http://127.0.0.1:8000")
SECRET = "icbc-push-secret-for-the-demo"  # noqa: S105 (a demo secret)
received: "queue.Queue[dict[str, object]]" = queue.Queue()


def verify(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:
    """t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>, and not stale."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance


class BankEndpoint(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not verify(self.headers["Sscard-Signature"], body, SECRET):
            self.send_response(401)
        else:
            received.put(json.loads(body))
            self.send_response(204)  # any 2xx acknowledges; anything else is retried
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


server = HTTPServer(("127.0.0.1", 0), BankEndpoint)
threading.Thread(target=server.serve_forever, daemon=True).start()


def bearer(form: dict[str, str]) -> dict[str, str]:
    return {"Authorization": "Bearer " + httpx2.post(f"{BASE}/v1/auth/token", data=form).json()["access_token"]}


bank = bearer({"grant_type": "password", "username": "bank.icbc", "password": "sscard-demo"})
url = f"http://127.0.0.1:{server.server_port}/sscard-events"
assert httpx2.put(f"{BASE}/v1/banks/ICBC/endpoint", json={"url": url, "secret": SECRET}, headers=bank).is_success

# The holder of an ICBC card reports it lost online; the bank hears of it after commit.
holder = bearer({"grant_type": "password", "username": "li.xiuying", "password": "sscard-demo"})
card_no = httpx2.get(f"{BASE}/v1/persons/1", headers=holder).json()["cards"][0]["card_no"]
report = {"kind": "provisional", "channel": "online"}
assert httpx2.post(f"{BASE}/v1/cards/{card_no}/loss-reports", json=report, headers=holder).status_code == 201

while True:  # every event the bank had not yet acknowledged arrives, oldest first
    event = received.get(timeout=20)
    print("pushed:", event)
    if event.get("card_no") == card_no:
        break
server.shutdown()
