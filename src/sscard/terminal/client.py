"""The center's invalid-list API as a terminal calls it (API.md)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Self

import httpx2

from sscard.invalid_list import binary

STREAM_READ_TIMEOUT = 45.0  # three missed heartbeats: the connection is dead
PAGE_SIZE = 1000


class TerminalError(RuntimeError):
    """The center answered something the terminal cannot act on."""


class SnapshotRequired(TerminalError):
    """The terminal's version can no longer be followed: download a snapshot."""


class ServerUnavailable(TerminalError):
    """The center is down or restarting; try again later."""


@dataclass(frozen=True, slots=True)
class Change:
    """One change of the center's list."""

    version: int
    card_no: str
    op: str
    reason: str | None

    @classmethod
    def of(cls, item: dict[str, Any]) -> Change:
        """A change from its JSON form."""
        return cls(int(item["version"]), str(item["card_no"]), str(item["op"]), item.get("reason"))


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Changes after a version and the version they bring the terminal to."""

    version: int
    changes: list[Change]


class ListClient:
    """Signs in with client credentials, re-signing when the token runs out."""

    def __init__(
        self,
        server: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        http: httpx2.AsyncClient | None = None,
    ) -> None:
        self.scope = scope
        self.client_id = client_id
        self._credentials = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._http = http or httpx2.AsyncClient()
        self._base = server.rstrip("/")
        self._token: str | None = None
        self._token_good_until = 0.0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def snapshot(self) -> binary.DecodedSnapshot:
        """The whole list of the scope, in the compact binary form."""
        response = await self._call("GET", "/v1/invalid-list/snapshot", headers={"Accept": binary.MEDIA_TYPE})
        return binary.decode(response.content)

    async def changes(self, since: int) -> ChangePage:
        """Changes after `since`; raises SnapshotRequired when it is too old."""
        params = {"since": since, "limit": PAGE_SIZE}
        body = (await self._call("GET", "/v1/invalid-list/changes", params=params)).json()
        return ChangePage(version=int(body["version"]), changes=[Change.of(item) for item in body["changes"]])

    async def acknowledge(self, version: int) -> None:
        """Tell the center which version this terminal applied (R-INV-3)."""
        await self._call("POST", "/v1/terminals/me/sync", json={"version": version})

    async def upload_offline(self, transactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send charges made offline (R-SET-6); each one's result: posted, compensated, or
        rejected with its code."""
        response = await self._call("POST", "/v1/settlements/offline", json={"transactions": transactions})
        return list(response.json()["results"])

    async def stream(self, since: int) -> AsyncIterator[Change]:
        """Changes after `since` as they happen, until the server ends the stream."""
        timeout = httpx2.Timeout(10.0, read=STREAM_READ_TIMEOUT)
        url, params = self._url("/v1/invalid-list/stream"), self._scope_params()
        for attempt in range(2):
            headers = {"Last-Event-ID": str(since), **await self._authorization(fresh=attempt > 0)}
            async with self._http.sse(url, params=params, headers=headers, timeout=timeout) as source:
                if source.response.status_code == httpx2.codes.UNAUTHORIZED and attempt == 0:
                    continue  # the token ran out early: sign in again once
                await _raise_for(source.response)
                async for event in source:
                    if event.event == "change":
                        yield Change.of(json.loads(event.data))
                return

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        params = {**self._scope_params(), **kwargs.pop("params", {})}
        headers = kwargs.pop("headers", {})
        for attempt in range(2):
            auth = await self._authorization(fresh=attempt > 0)
            response = await self._http.request(
                method, self._url(path), params=params, headers={**headers, **auth}, **kwargs
            )
            if response.status_code != httpx2.codes.UNAUTHORIZED:
                break
        await _raise_for(response)
        return response

    async def _authorization(self, *, fresh: bool = False) -> dict[str, str]:
        if fresh or self._token is None or time.monotonic() >= self._token_good_until:
            response = await self._http.post(self._url("/v1/auth/token"), data=self._credentials)
            await _raise_for(response)
            body = response.json()
            self._token = str(body["access_token"])
            lifetime = float(body["expires_in"])
            self._token_good_until = time.monotonic() + lifetime - min(60.0, lifetime / 10)
        return {"Authorization": f"Bearer {self._token}"}

    def _scope_params(self) -> dict[str, str]:
        return {"scope": self.scope} if self.scope else {}

    def _url(self, path: str) -> str:
        return self._base + path


async def _raise_for(response: httpx2.Response) -> None:
    if response.is_success:
        return
    await response.aread()
    detail = _problem_detail(response)
    if response.status_code == httpx2.codes.GONE:
        raise SnapshotRequired(detail)
    if response.status_code >= httpx2.codes.INTERNAL_SERVER_ERROR:
        raise ServerUnavailable(detail)
    raise TerminalError(detail)


def _problem_detail(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return f"HTTP {response.status_code} {body.get('code', '')}: {body.get('detail', '')}"
