"""Tests for the throwaway PostgreSQL cluster helper."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sscard.testing.postgres import BINDIR_ENV, TemporaryPostgres, find_pg_bindir


def _require_bindir() -> Path:
    bindir = find_pg_bindir()
    if bindir is None:
        reason = f"PostgreSQL server binaries not found: install Debian's postgresql package or set {BINDIR_ENV}"
        # On CI a missing server means a broken image, not an optional feature.
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return bindir


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[TemporaryPostgres]:
    with TemporaryPostgres(bindir=_require_bindir(), settings={"max_connections": "42"}) as pg:
        yield pg


def test_find_pg_bindir_honours_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BINDIR_ENV, str(tmp_path))
    assert find_pg_bindir() is None
    for tool in ("initdb", "pg_ctl"):
        (tmp_path / tool).write_text("#!/bin/sh\n")
        (tmp_path / tool).chmod(0o755)
    assert find_pg_bindir() == tmp_path


def test_url_points_at_loopback(cluster: TemporaryPostgres) -> None:
    assert cluster.url == f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres"


def test_select_one_and_settings(cluster: TemporaryPostgres) -> None:
    with psycopg.connect(_psycopg_dsn(cluster.url)) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.execute("show max_connections").fetchone() == ("42",)
        assert conn.execute("show fsync").fetchone() == ("off",)
        assert conn.execute("show listen_addresses").fetchone() == ("127.0.0.1",)


def test_create_database(cluster: TemporaryPostgres) -> None:
    url = cluster.create_database("sscard_test")
    assert url.endswith(f":{cluster.port}/sscard_test")
    with psycopg.connect(_psycopg_dsn(url)) as conn:
        conn.execute("create table t (x int)")
        conn.execute("insert into t values (7)")
        assert conn.execute("select current_database(), x from t").fetchone() == (
            "sscard_test",
            7,
        )


def test_start_twice_is_rejected(cluster: TemporaryPostgres) -> None:
    with pytest.raises(RuntimeError, match="already started"):
        cluster.start()


# Kept last: it tears down the shared module cluster.
def test_stop_removes_dir_and_closes_port(cluster: TemporaryPostgres) -> None:
    port = cluster.port
    data_dir = cluster.data_dir
    assert data_dir.is_dir()
    cluster.stop()
    assert not data_dir.exists()
    assert not data_dir.parent.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(RuntimeError):
        _ = cluster.url
