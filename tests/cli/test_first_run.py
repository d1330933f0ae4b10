"""A newcomer's first run: the banner, a busy port, the demo clock and its tokens."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from rich.console import Console
from typer.testing import CliRunner

from sscard import demo as demo_data
from sscard.auth.tokens import TokenSigner
from sscard.cli import demo as demo_cli
from sscard.cli.main import app
from sscard.clock import FixedClock, OffsetClock, token_time
from sscard.policy.calendar import WorkingCalendar
from sscard.roles import Principal, Role
from tests.cli.test_cli import demo_server, sqlite_env

__all__ = ["demo_server", "sqlite_env"]  # fixtures shared with test_cli

runner = CliRunner()


def banner(width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    out = io.StringIO()
    monkeypatch.setattr(demo_cli, "console", Console(file=out, width=width, color_system=None))
    demo_cli.print_logins("http://127.0.0.1:8123")
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 60, 40])
def test_the_banner_prints_every_login_and_secret_whole_and_says_the_port(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = banner(width, monkeypatch).splitlines()
    assert "http://127.0.0.1:8123" in lines[0]
    for _, username, secret in demo_data.logins():
        assert any(username in line for line in lines), username
        assert any(secret in line for line in lines), secret
    assert all(len(line.rstrip()) <= width for line in lines)
    assert not any("…" in line for line in lines)


def test_at_80_columns_the_terminals_secret_stands_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    text = banner(80, monkeypatch)
    assert demo_data.DEMO_TERMINAL_SECRET in text
    assert demo_data.DEMO_TERMINAL_ID in text


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another program is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield int(holder.getsockname()[1])


def test_serve_says_in_one_line_that_the_port_is_busy_before_claiming_to_serve(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch, busy_port: int
) -> None:
    monkeypatch.setenv("SSCARD_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SSCARD_ISSUER_KEY", "i" * 40)
    result = runner.invoke(app, ["serve", "--port", str(busy_port)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert f"127.0.0.1:{busy_port}" in lines[0]
    assert "already in use" in lines[0]
    assert "--port" in lines[0]
    assert "sscard on" not in result.output
    assert not (sqlite_env / "cli.db").exists()  # nothing was migrated for a server that cannot start


def test_token_time_is_the_real_time_behind_a_moved_demo_clock() -> None:
    clock = OffsetClock()
    clock.advance(timedelta(days=30))
    assert abs(token_time(clock) - datetime.now(UTC)) < timedelta(seconds=5)
    fixed = FixedClock(datetime(2026, 3, 2, tzinfo=UTC))
    assert token_time(fixed) == fixed.now()  # tests still move a token's time with their clock


def test_a_token_outlives_thirty_days_of_demo_clock() -> None:
    clock = OffsetClock()
    signer = TokenSigner(b"x" * 40, timedelta(minutes=15))
    token = signer.issue(Principal("admin", Role.ADMIN, "000000"), token_time(clock))
    clock.advance(timedelta(days=30))
    assert signer.verify(token, token_time(clock)).subject == "admin"


def test_the_readmes_thirty_days_are_enough_for_a_beijing_replacement_whenever_it_is_asked_for() -> None:
    # R-REP-3: 15 working days are 21 calendar days in an ordinary stretch and up to 28
    # when the National Day or Spring Festival week falls inside them.
    calendar = WorkingCalendar()
    start = datetime(2024, 1, 1, tzinfo=UTC).date()
    spans = [(calendar.add_working_days(day, 15) - day).days for day in (start + timedelta(n) for n in range(3 * 365))]
    assert max(spans) <= 30
    assert '{"days": 30}' in (Path(__file__).parents[2] / "README.md").read_text()


def test_the_demo_clock_says_tokens_stay_valid(demo_server: str) -> None:
    form = {"grant_type": "password", "username": "admin", "password": "sscard-demo"}
    admin = {"Authorization": f"Bearer {httpx2.post(f'{demo_server}/v1/auth/token', data=form).json()['access_token']}"}
    moved = httpx2.post(f"{demo_server}/v1/demo/clock", headers=admin, json={"days": 30})
    assert moved.status_code == 200, moved.text
    assert "still valid" in moved.json()["tokens"]
    assert httpx2.get(f"{demo_server}/v1/persons/1", headers=admin).status_code == 200
