"""Fixtures: a migrated SQLite and PostgreSQL database, each test rolled back.

Tests that take `client`, `api` or `rt` run once per backend. PostgreSQL comes from
SSCARD_TEST_DATABASE_URL, or from a throwaway cluster of Debian's postgresql; when
neither is there the PostgreSQL runs skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, make_url
from sqlalchemy.orm import sessionmaker

from sscard.app import create_app
from sscard.clock import FixedClock
from sscard.db import make_engine, transaction
from sscard.migrate import upgrade
from sscard.policy.service import sync_regions
from sscard.runtime import Runtime, build_runtime
from sscard.settings import Settings
from sscard.testing.postgres import TemporaryPostgres, find_pg_bindir
from tests.api import Api

# 10:00 in Beijing on Monday 2 March 2026, an ordinary working day.
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def make_settings(**overrides: object) -> Settings:
    """Settings for tests: a real secret, the cheapest password hash."""
    values: dict[str, object] = {
        "secret_key": "test-secret-" + "x" * 40,
        "issuer_key": "test-issuer-key-" + "k" * 40,
        "password_hash_profile": "CHEAPEST",
        "database_url": "sqlite://",
        # Files a runtime keeps (the SMS file among them) never land in the checkout.
        "var_dir": Path(tempfile.mkdtemp(prefix="sscard-test-var-")),
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL whose user may create databases."""
    given = os.environ.get("SSCARD_TEST_DATABASE_URL")
    if given:
        yield given
        return
    if find_pg_bindir() is None:
        message = "PostgreSQL is not installed (apt-get install postgresql) and SSCARD_TEST_DATABASE_URL is unset"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # The cluster keeps TemporaryPostgres's fast settings (fsync, synchronous_commit and
    # full_page_writes off): nothing here survives a crash anyway. bench/ runs durable.
    with TemporaryPostgres(settings={"max_connections": "300"}) as server:
        yield server.url


def fresh_database(server_url: str, name: str) -> str:
    """Create (or re-create) an empty database on the server; its URL."""
    url = make_url(server_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def migrated_engine(url: str, **engine_options: object) -> Engine:
    """An engine on a database brought to the newest schema, with the built-in regions."""
    engine = make_engine(url, **engine_options)
    upgrade(engine)
    with transaction(sessionmaker(bind=engine)) as session:
        sync_regions(session)
    return engine


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The migrated test database of one backend, shared by the session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'sscard.db'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_server"), f"sscard_test_{os.getpid()}")
    engine = migrated_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def clock() -> FixedClock:
    """The service's clock, standing still at START until a test moves it."""
    return FixedClock(START)


@pytest.fixture
def rt(engine: Engine, connection: Connection, clock: FixedClock, var_dir: Path) -> Runtime:
    """A runtime whose every unit of work is a savepoint inside the test's transaction."""
    sessions = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    return build_runtime(make_settings(var_dir=var_dir), engine=engine, sessions=sessions, clock=clock)


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    """An HTTP client for the application on the test's runtime."""
    with TestClient(create_app(rt=rt, prepare=False)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, rt: Runtime) -> Api:
    """The client with helpers for signing in and making people and cards."""
    return Api(client, rt)


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    """A scratch ./var for commands that keep files there."""
    return tmp_path / "var"


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of one backend, for tests that really commit."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'blank.db'}"
    return fresh_database(request.getfixturevalue("postgres_server"), f"sscard_blank_{os.getpid()}")


@pytest.fixture
def committed_rt(blank_database: str) -> Iterator[Runtime]:
    """A runtime on its own migrated database whose units of work really commit."""
    # Room for every thread of a concurrency test to hold its own connection.
    engine = migrated_engine(blank_database, pool_size=60, max_overflow=0)
    yield build_runtime(make_settings(), engine=engine, clock=FixedClock(START))
    engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, where asyncio.run() (the stream and broker tests)
    can no longer start one."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/"))
