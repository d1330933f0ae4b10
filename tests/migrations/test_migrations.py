"""The migrations build exactly the models' schema, and can be undone."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine, inspect, text

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


def test_r_find_1_persons_registered_before_0008_get_their_birth_date_from_the_id_number(
    blank_database: str,
) -> None:
    engine = make_engine(blank_database)
    try:
        command.upgrade(alembic_config(engine), "0006")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO regions (code, name, level) VALUES ('110101', '东城区', 'district')"))
            for person_id, id_number in ((1, "11010119900307451X"), (2, "110101200002290012")):
                conn.execute(
                    text(
                        "INSERT INTO persons (id, id_number, name, region_code, scheme, created_at)"
                        " VALUES (:id, :number, '王小明', '110101', 'employee', :at)"
                    ),
                    {"id": person_id, "number": id_number, "at": datetime(2026, 3, 2, tzinfo=UTC)},
                )
                conn.execute(
                    text("INSERT INTO accounts (person_id, balance, held, updated_at) VALUES (:id, 0, 0, :at)"),
                    {"id": person_id, "at": datetime(2026, 3, 2, tzinfo=UTC)},
                )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, birth_date FROM persons ORDER BY id")).all()
        assert [(i, str(born)) for i, born in rows] == [(1, "1990-03-07"), (2, "2000-02-29")]
        if engine.dialect.name == "postgresql":  # the backfill's placeholder is no default for new rows
            (birth_date,) = (c for c in inspect(engine).get_columns("persons") if c["name"] == "birth_date")
            assert birth_date["default"] is None
        check(engine)
    finally:
        engine.dispose()
