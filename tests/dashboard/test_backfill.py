"""Migration 0013 counts what an installation already holds: the backfill gives the same
dashboard counts as the event handlers kept while the activity happened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from sscard.app import create_app
from sscard.clock import FixedClock
from sscard.migrate import alembic_config, upgrade
from sscard.runtime import Runtime, build_runtime
from tests.api import Api
from tests.conftest import START, make_settings, migrated_engine
from tests.web.test_admin_pages import scripted_day

COUNTS = "SELECT metric, bucket, region_code, key, shard, n FROM dashboard_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5"


@pytest.fixture
def committed(blank_database: str, tmp_path: Path) -> Iterator[tuple[Engine, Runtime, FixedClock]]:
    engine, clock = migrated_engine(blank_database), FixedClock(START)
    yield engine, build_runtime(make_settings(var_dir=tmp_path), engine=engine, clock=clock), clock
    engine.dispose()


def test_the_backfill_counts_as_the_handlers_did(committed: tuple[Engine, Runtime, FixedClock]) -> None:
    engine, rt, clock = committed
    with TestClient(create_app(rt=rt, prepare=False)) as client:
        scripted_day(Api(client, rt), clock)
    with engine.connect() as conn:
        kept = conn.execute(text(COUNTS)).all()
    assert {row.metric for row in kept} == {"invalid", "loss", "replacement", "settlement"}
    command.downgrade(alembic_config(engine), "0011")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text(COUNTS)).all() == kept
