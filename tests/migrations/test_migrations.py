"""The migrations build exactly the models' schema, and can be undone."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from sscard.db import make_engine
from sscard.migrate import alembic_config, check, upgrade


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    check(engine)  # raises when `alembic check` would find a difference


def test_downgrade_to_nothing_and_upgrade_again(blank_database: str) -> None:
    engine = make_engine(blank_database)
    try:
        upgrade(engine)
        assert "cards" in inspect(engine).get_table_names()
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        check(engine)
    finally:
        engine.dispose()


def test_upgrading_twice_is_harmless(blank_database: str) -> None:
    engine = make_engine(blank_database)
    try:
        upgrade(engine)
        upgrade(engine)
        check(engine)
    finally:
        engine.dispose()
