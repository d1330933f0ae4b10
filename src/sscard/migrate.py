"""Schema migrations (Alembic), applied on start and by `sscard db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    """An Alembic config for this package; env.py uses the given engine or URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema."""
    command.upgrade(alembic_config(engine), "head")


def check(engine: Engine) -> None:
    """Fail if the models and the migrated schema differ (`alembic check`)."""
    command.check(alembic_config(engine))
