"""`sscard db backup`, `restore` and `verify`, end to end on SQLite and PostgreSQL:
a filled database is backed up, restored into an empty one and verified; a damaged copy
and a tampered ledger or list are refused with a sentence that says what is wrong."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from sscard import demo
from sscard.app import create_app
from sscard.cli.main import app
from sscard.clock import FixedClock
from sscard.db import make_engine
from sscard.invalid_list.models import ListChange
from sscard.people.models import Account, Posting
from sscard.runtime import build_runtime
from tests.api import Api
from tests.conftest import START, fresh_database, make_settings, migrated_engine

runner = CliRunner()


@pytest.fixture
def filled(blank_database: str) -> str:
    """The demo's data plus a day's work: deposits, settlements, losses reported and lifted."""
    engine = migrated_engine(blank_database)
    rt = build_runtime(make_settings(), engine=engine, clock=FixedClock(START))
    demo.load(rt)
    with TestClient(create_app(rt=rt, prepare=False)) as client:
        api = Api(client, rt)
        terminal = api.terminal()
        for _ in range(3):
            person = api.person()
            card = api.card(person["person_id"])
            api.deposit(person["person_id"], 50_000)
            assert api.settle(terminal, card["card_no"], 1_250).status_code == 201
            api.report_loss(card["card_no"])
            lifted = api.call("POST", f"/v1/cards/{card['card_no']}/loss-reports/lift", api.clerk, json={})
            assert lifted.status_code == 200, lifted.text
            api.report_loss(card["card_no"])
    engine.dispose()
    return blank_database


@pytest.fixture
def empty_database(blank_database: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Another empty database of the same backend, to restore into."""
    if blank_database.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return fresh_database(request.getfixturevalue("postgres_server"), f"sscard_restored_{os.getpid()}")


def sscard(database_url: str, *arguments: str) -> tuple[int, str]:
    result = runner.invoke(app, ["db", *arguments], env={"SSCARD_DATABASE_URL": database_url})
    return result.exit_code, result.output


def totals(engine: Engine) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        balances = conn.scalar(select(func.sum(Account.balance)))
        postings = conn.scalar(select(func.count()).select_from(Posting))
        changes = conn.scalar(select(func.count()).select_from(ListChange))
        newest = int(conn.scalar(select(func.max(ListChange.version))) or 0)
    return int(balances or 0), int(postings or 0), int(changes or 0), int(newest or 0)


def test_a_backup_restores_into_an_empty_database_and_verifies(
    filled: str, empty_database: str, tmp_path: Path
) -> None:
    file = tmp_path / "sscard.backup"
    code, output = sscard(filled, "backup", str(file))
    assert code == 0, output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert not file.with_name(file.name + ".partial").exists()

    code, output = sscard(empty_database, "restore", str(file))
    assert code == 0, output
    assert "restored" in output
    assert "verified" in output
    source, copy = make_engine(filled), make_engine(empty_database)
    try:
        assert totals(copy) == totals(source)
        assert totals(copy)[2] >= 9  # three cards listed, lifted and listed again
    finally:
        source.dispose()
        copy.dispose()


def test_verify_names_a_ledger_that_does_not_sum_and_a_hole_in_the_list(
    filled: str, empty_database: str, tmp_path: Path
) -> None:
    file = tmp_path / "sscard.backup"
    assert sscard(filled, "backup", str(file))[0] == 0
    assert sscard(empty_database, "restore", str(file))[0] == 0
    copy = make_engine(empty_database)
    with copy.begin() as conn:
        person_id = conn.scalar(select(func.min(Account.person_id)).where(Account.balance > 0))
        conn.execute(text("UPDATE accounts SET balance = balance + 1 WHERE person_id = :p"), {"p": person_id})
        newest = int(conn.scalar(select(func.max(ListChange.version))) or 0)
        conn.execute(text("DELETE FROM invalid_list_changes WHERE version = :v"), {"v": newest - 2})
        conn.execute(text("UPDATE invalid_list_counter SET version = version + 5"))
    copy.dispose()

    code, output = sscard(empty_database, "verify")
    assert code == 1
    assert "verify failed" in output
    assert f"account of person {person_id}: balance" in output
    assert "but its postings sum to" in output
    assert f"jumps from version {newest - 3} to {newest - 1}" in output
    assert f"the version counter says {newest + 5}, but the newest change in the log is version {newest}" in output


def test_a_good_database_verifies(filled: str) -> None:
    code, output = sscard(filled, "verify")
    assert code == 0, output
    assert "verified" in output


def test_a_damaged_backup_is_refused(filled: str, empty_database: str, tmp_path: Path) -> None:
    file = tmp_path / "sscard.backup"
    assert sscard(filled, "backup", str(file))[0] == 0
    damaged = tmp_path / "damaged.backup"
    data = file.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])

    code, output = sscard(empty_database, "restore", str(damaged))
    assert code == 1
    assert "error:" in output
    assert "damaged" in output or "pg_restore failed" in output


def test_restore_refuses_a_database_that_has_tables(filled: str, tmp_path: Path) -> None:
    file = tmp_path / "sscard.backup"
    assert sscard(filled, "backup", str(file))[0] == 0
    code, output = sscard(filled, "restore", str(file))
    assert code == 1
    assert "is not empty" in output


def test_backup_never_overwrites_a_file(filled: str, tmp_path: Path) -> None:
    file = tmp_path / "sscard.backup"
    file.write_text("keep me")
    code, output = sscard(filled, "backup", str(file))
    assert code == 1
    assert "exists already" in output
    assert file.read_text() == "keep me"
