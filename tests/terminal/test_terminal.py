"""The terminal against a real `sscard serve --demo`: catch up, follow, acknowledge,
restart where it left off."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self

import httpx2
import pytest
from typer.testing import CliRunner

from sscard.cli.main import app
from sscard.demo import DEMO_PASSWORD, DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET
from sscard.invalid_list.lookup import InvalidList
from sscard.terminal.agent import TerminalAgent
from sscard.terminal.client import ListClient
from sscard.terminal.state import TerminalState, save_state
from tests.servers import demo_server as running_demo

DELIVERY_SECONDS = 10.0
HOLDER = ("李秀英", "110105198503120020", "北京市朝阳区某科技有限公司")  # the demo's person 1, Beijing
runner = CliRunner()


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    """`sscard serve --demo` in its own process on a fresh SQLite file."""
    with running_demo(tmp_path) as server:
        yield server.base


def sign_in(base: str, username: str) -> dict[str, str]:
    form = {"grant_type": "password", "username": username, "password": DEMO_PASSWORD}
    response = httpx2.post(f"{base}/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def demo_card(base: str) -> str:
    person = httpx2.get(f"{base}/v1/persons/1", headers=sign_in(base, "li.xiuying"))
    return str(person.json()["cards"][0]["card_no"])


def hotline_report(base: str, card_no: str) -> None:
    """The holder phones the hotline; the operator reports the card lost."""
    reporter = {"relation": "self", "name": HOLDER[0], "id_number": HOLDER[1], "unit_name": HOLDER[2]}
    body = {"kind": "provisional", "channel": "hotline", "reporter": reporter}
    response = httpx2.post(
        f"{base}/v1/cards/{card_no}/loss-reports", json=body, headers=sign_in(base, "operator.beijing")
    )
    assert response.status_code == 201, response.text


def online_lift(base: str, card_no: str) -> None:
    """The holder found the card and lifts the report online."""
    response = httpx2.post(f"{base}/v1/cards/{card_no}/loss-reports/lift", json={}, headers=sign_in(base, "li.xiuying"))
    assert response.status_code == 200, response.text


def acknowledged_version(base: str) -> int | None:
    """The demo terminal's list version as the center records it (R-INV-3)."""
    listing = httpx2.get(f"{base}/v1/terminals", headers=sign_in(base, "admin")).json()
    (terminal,) = [item for item in listing["items"] if item["terminal_id"] == DEMO_TERMINAL_ID]
    version: int | None = terminal["list_version"]
    return version


def wait_until(condition: Callable[[], bool], what: str, seconds: float = DELIVERY_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.05)


class Requests:
    """Every request the terminal sent, as (method, path, query, Last-Event-ID)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], str | None]] = []

    async def record(self, request: httpx2.Request) -> None:
        self.seen.append(
            (request.method, request.url.path, dict(request.url.params), request.headers.get("last-event-id"))
        )

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.seen]


def make_agent(base: str, state: Path, requests: Requests) -> TerminalAgent:
    http = httpx2.AsyncClient(event_hooks={"request": [requests.record]})
    return TerminalAgent(ListClient(base, DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET, http=http), state)


class RunningAgent:
    """An agent catching up and then following the stream in its own thread and loop."""

    def __init__(self, agent: TerminalAgent) -> None:
        self.agent = agent
        self._caught_up = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="terminal-agent")

    async def _main(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        async with self.agent.client:
            await self.agent.catch_up()
            self._caught_up.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self.agent.follow()

    def __enter__(self) -> Self:
        self._thread.start()
        assert self._caught_up.wait(30), "the terminal did not catch up in 30 s"
        return self

    def __exit__(self, *_: object) -> None:
        assert self._loop is not None
        assert self._task is not None
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(30)
        assert not self._thread.is_alive()


def test_a_hotline_report_reaches_the_terminal_by_the_stream_and_a_restart_resumes(
    demo_server: str, tmp_path: Path
) -> None:
    state_file, card = tmp_path / "terminal" / "list.bin", demo_card(demo_server)
    first = Requests()
    with RunningAgent(make_agent(demo_server, state_file, first)) as running:
        assert not running.agent.is_invalid(card)
        assert "/v1/invalid-list/snapshot" in first.paths()  # a first start downloads the list
        followed_from = len(first.seen)
        hotline_report(demo_server, card)
        wait_until(lambda: running.agent.is_invalid(card), "the reported card is invalid at the terminal")
        reported = running.agent.state.version
        wait_until(lambda: acknowledged_version(demo_server) == reported, "the center records the version")
    # It learnt of the report from the stream alone: it never asked for changes again.
    assert set(first.paths()[followed_from:]) <= {"/v1/invalid-list/stream", "/v1/terminals/me/sync"}

    online_lift(demo_server, card)  # while the terminal is off
    second = Requests()
    restarted = make_agent(demo_server, state_file, second)
    asyncio.run(_catch_up(restarted))
    assert not restarted.is_invalid(card)
    assert restarted.state.version == reported + 1
    assert "/v1/invalid-list/snapshot" not in second.paths()
    changes = [query for _, path, query, _ in second.seen if path == "/v1/invalid-list/changes"]
    assert changes[0]["since"] == str(reported)


async def _catch_up(agent: TerminalAgent) -> TerminalState:
    async with agent.client:
        return await agent.catch_up()


def test_a_terminal_whose_token_ran_out_signs_in_again(demo_server: str, tmp_path: Path) -> None:
    requests = Requests()
    agent = make_agent(demo_server, tmp_path / "list.bin", requests)

    async def scenario() -> None:
        async with agent.client:
            await agent.catch_up()
            # The demo clock no longer ends tokens (they expire by the real time), so the
            # token the terminal holds is made one the server refuses, as an expired one is.
            agent.client._token = "a-token-the-server-no-longer-takes"
            await agent.catch_up()

    asyncio.run(scenario())
    assert requests.paths().count("/v1/auth/token") == 2


def test_the_commands_sync_and_check_answer_from_the_local_file(demo_server: str, tmp_path: Path) -> None:
    state, card = tmp_path / "list.bin", demo_card(demo_server)
    login = ["--server", demo_server, "--client-id", DEMO_TERMINAL_ID, "--client-secret", DEMO_TERMINAL_SECRET]
    first = runner.invoke(app, ["terminal", "sync", *login, "--state", str(state)])
    assert first.exit_code == 0, first.output
    assert "version 0: 0 invalid cards in scope 110100" in first.output
    hotline_report(demo_server, card)
    second = runner.invoke(app, ["terminal", "sync", *login, "--state", str(state)])
    assert "version 1: 1 invalid cards" in second.output
    checked = runner.invoke(app, ["terminal", "check", card, "--state", str(state)])
    assert checked.exit_code == 1
    assert "INVALID: lost" in checked.output
    other = runner.invoke(app, ["terminal", "check", "1101050000000027", "--state", str(state)])
    assert other.exit_code == 0
    assert "not on the invalid list" in other.output


def test_a_version_the_center_cannot_follow_falls_back_to_a_snapshot(demo_server: str, tmp_path: Path) -> None:
    state, card = tmp_path / "list.bin", demo_card(demo_server)
    hotline_report(demo_server, card)
    save_state(state, TerminalState(version=999, scope="110100", cards=InvalidList()))
    login = ["--server", demo_server, "--client-id", DEMO_TERMINAL_ID, "--client-secret", DEMO_TERMINAL_SECRET]
    synced = runner.invoke(app, ["terminal", "sync", *login, "--state", str(state)])
    assert synced.exit_code == 0, synced.output
    assert "version 1: 1 invalid cards" in synced.output


def test_check_without_a_local_list_says_to_sync_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["terminal", "check", "1101050000000019", "--state", str(tmp_path / "none.bin")])
    assert result.exit_code == 2
    assert "sync" in result.output


def balance_of(base: str) -> int:
    return int(httpx2.get(f"{base}/v1/persons/1", headers=sign_in(base, "li.xiuying")).json()["balance"])


def test_r_set_6_the_command_charge_signs_with_a_software_card_end_to_end(demo_server: str, tmp_path: Path) -> None:
    """The producer's record becomes a software card; each charge spends one counter."""
    card_no, card_file, state = demo_card(demo_server), tmp_path / "card.json", tmp_path / "list.bin"
    record = httpx2.get(f"{demo_server}/v1/cards/{card_no}/personalization", headers=sign_in(demo_server, "admin"))
    assert record.status_code == 200, record.text
    card_file.write_text(record.text)
    login = ["--server", demo_server, "--client-id", DEMO_TERMINAL_ID, "--client-secret", DEMO_TERMINAL_SECRET]
    assert runner.invoke(app, ["terminal", "sync", *login, "--state", str(state)]).exit_code == 0
    before = balance_of(demo_server)
    charge = ["terminal", "charge", *login, "--card", str(card_file), "--amount", "1250", "--state", str(state)]
    posted = runner.invoke(app, charge)
    assert posted.exit_code == 0, posted.output
    assert "counter 1" in posted.output
    assert ": posted" in posted.output
    assert json.loads(card_file.read_text())["counter"] == 1
    assert card_file.stat().st_mode & 0o077 == 0
    assert balance_of(demo_server) == before - 1_250
    card_file.write_text(json.dumps(json.loads(card_file.read_text()) | {"counter": 0}))  # a clone of the card
    cloned = runner.invoke(app, charge)
    assert (cloned.exit_code, "rejected (counter_reused)" in cloned.output) == (1, True), cloned.output
    unverified = runner.invoke(app, [*charge, "--no-pin-verified"])
    assert (unverified.exit_code, "rejected (pin_required)" in unverified.output) == (1, True), unverified.output
    assert balance_of(demo_server) == before - 1_250


def test_r_inv_3_a_terminal_away_longer_than_the_retention_downloads_a_snapshot(
    demo_server: str, tmp_path: Path
) -> None:
    card = demo_card(demo_server)
    away, recent = tmp_path / "away.bin", tmp_path / "recent.bin"
    asyncio.run(_catch_up(make_agent(demo_server, away, Requests())))  # version 0
    hotline_report(demo_server, card)
    online_lift(demo_server, card)
    asyncio.run(_catch_up(make_agent(demo_server, recent, Requests())))  # version 2
    # The demo's 90 days of retention pass: the jobs trim versions 1 and 2 from the log.
    moved = httpx2.post(f"{demo_server}/v1/demo/clock", json={"days": 91}, headers=sign_in(demo_server, "admin"))
    assert moved.status_code == 200, moved.text
    assert moved.json()["jobs"]["trim_list_changes"] == 2
    hotline_report(demo_server, card)  # version 3, kept

    form = {"grant_type": "client_credentials", "client_id": DEMO_TERMINAL_ID, "client_secret": DEMO_TERMINAL_SECRET}
    token = httpx2.post(f"{demo_server}/v1/auth/token", data=form).json()["access_token"]
    gone = httpx2.get(
        f"{demo_server}/v1/invalid-list/changes", params={"since": 0}, headers={"Authorization": f"Bearer {token}"}
    )
    assert gone.status_code == 410
    assert gone.json()["code"] == "snapshot_required"

    requests = Requests()
    returning = make_agent(demo_server, away, requests)
    assert asyncio.run(_catch_up(returning)).version == 3
    assert returning.is_invalid(card)
    assert "/v1/invalid-list/snapshot" in requests.paths()  # told 410, it fell back

    requests = Requests()
    following = make_agent(demo_server, recent, requests)
    assert asyncio.run(_catch_up(following)).version == 3
    assert following.is_invalid(card)
    assert "/v1/invalid-list/snapshot" not in requests.paths()  # the kept log was enough
