"""Sending an SMS: a small interface, an HTTP gateway client, and a file for demos and tests.

Every message carries its own idempotency key; a sender drops a message whose key it
has already accepted, so a delivery retried after a crash is not sent twice.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx2


@dataclass(frozen=True, slots=True)
class Sms:
    to: str
    text: str
    key: str


class SmsRefused(RuntimeError):
    """The gateway did not take the message; the outbox tries again later."""


class SmsSender(Protocol):
    def send(self, sms: Sms) -> None:
        """Hand the message over, or raise SmsRefused."""


class GatewaySender:
    """An SMS gateway over HTTP: POST {to, text} with the key as Idempotency-Key."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 5.0, http: httpx2.Client | None = None) -> None:
        self.url = url
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._http = http or httpx2.Client(timeout=timeout)

    def send(self, sms: Sms) -> None:
        headers = self._headers | {"Idempotency-Key": sms.key}
        try:
            response = self._http.post(self.url, json={"to": sms.to, "text": sms.text}, headers=headers)
        except httpx2.HTTPError as exc:
            raise SmsRefused(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise SmsRefused(f"the gateway answered HTTP {response.status_code}")


class FileSender:
    """Appends each message as a JSON line to a file: the demo's phone, and the tests'."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, sms: Sms) -> None:
        with self._lock:
            if sms.key in self.keys():
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"key": sms.key, "to": sms.to, "text": sms.text}, ensure_ascii=False) + "\n")

    def keys(self) -> set[str]:
        """The keys of every message written so far."""
        return {message["key"] for message in self.messages()}

    def messages(self) -> list[dict[str, str]]:
        """Every message written so far, oldest first."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
