"""The `sscard` command: demo data, users, migrations and the server itself."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from typer.testing import CliRunner

from sscard.cli.main import app
from tests.servers import demo_server as running_demo

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the commands at a fresh SQLite file and ./var in a temp dir."""
    monkeypatch.setenv("SSCARD_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SSCARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SSCARD_PASSWORD_HASH_PROFILE", "CHEAPEST")
    monkeypatch.delenv("SSCARD_SECRET_KEY", raising=False)
    monkeypatch.delenv("SSCARD_ISSUER_KEY", raising=False)
    monkeypatch.delenv("SSCARD_DEMO", raising=False)
    return tmp_path


def test_demo_loads_once_and_prints_the_logins(sqlite_env: Path) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output
    assert "clerk.beijing" in first.output
    assert "trm_demo_pharmacy" in first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "already there" in second.output


def test_db_upgrade_then_users_create(sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.output
    monkeypatch.setenv("SSCARD_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SSCARD_NEW_USER_PASSWORD", "a long password")
    created = runner.invoke(app, ["users", "create", "clerk.haidian", "--role", "clerk", "--region", "110108"])
    assert created.exit_code == 0, created.output
    assert "clerk.haidian" in created.output
    again = runner.invoke(app, ["users", "create", "clerk.haidian", "--role", "clerk", "--region", "110108"])
    assert again.exit_code == 1
    assert "user_exists" in again.output


def test_serve_refuses_to_start_without_a_secret(sqlite_env: Path) -> None:
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "SSCARD_SECRET_KEY" in result.output


def test_r_set_6_serve_refuses_to_start_without_an_issuer_key(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSCARD_SECRET_KEY", "s" * 40)
    missing = runner.invoke(app, ["serve", "--port", "1"])
    assert (missing.exit_code, "SSCARD_ISSUER_KEY" in missing.output) == (2, True), missing.output
    monkeypatch.setenv("SSCARD_ISSUER_KEY", "too short")
    short = runner.invoke(app, ["serve", "--port", "1"])
    assert (short.exit_code, "at least 32" in short.output) == (2, True), short.output


def test_serve_runs_several_processes_only_on_postgresql(sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSCARD_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SSCARD_ISSUER_KEY", "i" * 40)
    result = runner.invoke(app, ["serve", "--port", "1", "--workers", "2"])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output


@pytest.fixture
def demo_server(sqlite_env: Path) -> Iterator[str]:
    """`sscard serve --demo` in its own process, as the README runs it."""
    with running_demo(sqlite_env, os.environ.copy()) as server:
        yield server.base


def test_the_demo_server_signs_in_a_clerk_who_sees_a_demo_person(demo_server: str) -> None:
    token = httpx2.post(
        f"{demo_server}/v1/auth/token",
        data={"grant_type": "password", "username": "clerk.beijing", "password": "sscard-demo"},
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    person = httpx2.get(f"{demo_server}/v1/persons/1", headers=headers)
    assert person.status_code == 200
    assert person.json()["name"] == "李秀英"
    assert person.json()["cards"][0]["status"] == "active"
    assert person.json()["balance"] > 0


def test_jobs_run_reports_what_each_job_did(sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("SSCARD_SECRET_KEY", "s" * 40)
    result = runner.invoke(app, ["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "release_expired_provisional: 0" in result.output


def test_the_demo_clock_lets_a_provisional_report_expire(demo_server: str) -> None:
    def sign_in(username: str) -> dict[str, str]:
        form = {"grant_type": "password", "username": username, "password": "sscard-demo"}
        token = httpx2.post(f"{demo_server}/v1/auth/token", data=form).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    holder = sign_in("li.xiuying")
    card_no = httpx2.get(f"{demo_server}/v1/persons/1", headers=holder).json()["cards"][0]["card_no"]
    report = httpx2.post(
        f"{demo_server}/v1/cards/{card_no}/loss-reports",
        headers=holder,
        json={"kind": "provisional", "channel": "online"},
    )
    assert report.status_code == 201, report.text
    moved = httpx2.post(f"{demo_server}/v1/demo/clock", headers=sign_in("admin"), json={"days": 16})
    assert moved.status_code == 200, moved.text
    assert moved.json()["jobs"]["release_expired_provisional"] == 1
    # Tokens expire by the real time, not the demo's: the holder is still signed in.
    card = httpx2.get(f"{demo_server}/v1/cards/{card_no}", headers=holder)
    assert card.status_code == 200, card.text
    assert card.json()["status"] == "active"


def test_r_note_1_the_demos_messages_file_fills_as_a_loss_is_reported_and_the_new_card_is_ready(
    demo_server: str, sqlite_env: Path
) -> None:
    def sign_in(username: str) -> dict[str, str]:
        form = {"grant_type": "password", "username": username, "password": "sscard-demo"}
        token = httpx2.post(f"{demo_server}/v1/auth/token", data=form).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    clerk = sign_in("clerk.beijing")
    card_no = httpx2.get(f"{demo_server}/v1/persons/1", headers=clerk).json()["cards"][0]["card_no"]
    documents = ["resident_id_card", "employer_certificate"]
    body = {"kind": "formal", "channel": "counter", "documents": documents}
    assert httpx2.post(f"{demo_server}/v1/cards/{card_no}/loss-reports", headers=clerk, json=body).status_code == 201
    body = {"reason": "lost", "documents": ["resident_id_card", "photo"]}
    applied = httpx2.post(f"{demo_server}/v1/cards/{card_no}/replacements", headers=clerk, json=body)
    assert applied.status_code == 201, applied.text
    moved = httpx2.post(f"{demo_server}/v1/demo/clock", headers=sign_in("admin"), json={"days": 30})
    assert moved.json()["jobs"]["announce_ready_replacements"] == 1
    messages = sqlite_env / "var" / "messages.jsonl"
    deadline = time.monotonic() + 10
    while (
        time.monotonic() < deadline and len(lines := messages.read_text().splitlines() if messages.exists() else []) < 2
    ):
        time.sleep(0.1)
    texts = [json.loads(line)["text"] for line in lines]
    assert len(texts) == 2
    assert "挂失" in texts[0]
    assert "已制作完成" in texts[1]
    assert all(card_no not in text for text in texts)
