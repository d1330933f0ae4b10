"""Alembic environment: the engine comes from the caller or from SSCARD_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine, text

from sscard.db import Base, make_engine
from sscard.models import load_all
from sscard.settings import Settings

load_all()
config = context.config
# Any number of server processes may start at once; one migrates, the others wait.
MIGRATION_LOCK = 7_202_611


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if given is not None:
        return given  # type: ignore[no-any-return]
    url = config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url
    return make_engine(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # A migration may build an index for minutes, and waits for another process's:
            # the requests' statement and lock timeouts are not for it.
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


with _engine().connect() as connection:
    _run(connection)
