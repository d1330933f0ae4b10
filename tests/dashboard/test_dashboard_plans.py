"""The dashboard reads no big table through: PostgreSQL's plan of each of its queries,
on enough rows that a sequential scan would be the planner's choice if it could."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, Select, text

from sscard.dashboard.counts import LOSS, SETTLEMENT, day_of, hour_of
from sscard.dashboard.service import claims_statement, hourly_statement, invalid_statement, replacements_statement
from tests.conftest import fresh_database, migrated_engine

pytestmark = pytest.mark.postgres_only

ROWS = 40_000
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
# Every 100th replacement is still open and every 100th claim undecided; a hundred
# days of hourly counts in four regions, four shards each; open replacements by
# ready date.
_FILL = [
    """
    INSERT INTO persons (id, id_number, name, region_code, scheme, created_at, birth_date)
    SELECT i, '110101' || lpad(i::text, 12, '0'), '王' || chr(19968 + i % 100),
           (ARRAY['110101','110105','510703','130702'])[1 + i % 4], 'employee', now(), date '1950-01-01' + i % 20000
    FROM generate_series(1, :n) AS i
    """,
    """
    INSERT INTO cards (id, card_no, person_id, region_code, bank, status, pin_failures, pin_changed_by_holder,
                       issued_at, status_changed_at, valid_until)
    SELECT i, '1101010' || lpad(i::text, 9, '0'), i, (ARRAY['110101','110105','510703','130702'])[1 + i % 4],
           'ICBC', 'replaced', 0, false, now(), now(), current_date + 3650
    FROM generate_series(1, :n) AS i
    """,
    """
    INSERT INTO replacements (id, old_card_id, person_id, reason, new_card_no, new_bank, fee, fee_paid_at, applicant,
                              documents, applied_at, applied_by, ready_on, collection_certificate_no,
                              certificate_valid_until, held_amount, collected_at)
    SELECT i, i, i, 'lost', '2101010' || lpad(i::text, 9, '0'), 'ICBC', 2000, now(), '{}', '[]', now(), 'clerk',
           date '2026-06-01' - i % 60, 'C' || lpad(i::text, 12, '0'), date '2026-08-01', 0,
           CASE WHEN i % 100 = 0 THEN NULL ELSE now() END
    FROM generate_series(1, :n) AS i
    """,
    """
    INSERT INTO claims (id, person_id, region_code, replacement_id, kind, documents, claimed_amount, status,
                        submitted_at, submitted_by, supplementary_amount)
    SELECT i, i, (ARRAY['110101','110105','510703','130702'])[1 + i % 4], i, 'outpatient', '[]', 1000,
           CASE WHEN i % 100 = 0 THEN 'submitted' WHEN i % 100 = 1 THEN 'awaiting_second_review' ELSE 'approved' END,
           now() - (i % 90) * interval '1 day', 'holder', 0
    FROM generate_series(1, :n) AS i
    """,
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT metric, :last_hour - h, region, key, shard, 1 + (h + shard) % 7
    FROM generate_series(0, 2399) AS h,
         (VALUES ('110101'), ('110105'), ('510703'), ('130702')) AS r(region),
         (VALUES ('settlement', 'approved'), ('settlement', 'declined')) AS k(metric, key),
         generate_series(0, 3) AS shard
    """,
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT 'loss', :last_day - d, region, key, 0, 1 + d % 3
    FROM generate_series(0, 999) AS d, (VALUES ('110101'), ('110105'), ('510703'), ('130702')) AS r(region),
         (VALUES ('hotline'), ('online'), ('counter')) AS k(key)
    """,
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT 'replacement', 20600 - d, region, 'open', 0, 3
    FROM generate_series(0, 60) AS d, (VALUES ('110101'), ('110105'), ('510703'), ('130702')) AS r(region)
    """,
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT 'invalid', 0, region, reason, 0, 100
    FROM (VALUES ('110101'), ('110105'), ('510703'), ('130702')) AS r(region),
         (VALUES ('lost'), ('replaced'), ('expired')) AS k(reason)
    """,
    "ANALYZE",
]
SCOPES = ["000000", "110000", "110100", "110105"]


@pytest.fixture(scope="module")
def filled(postgres_server: str) -> Iterator[Engine]:
    """A migrated database holding ROWS of each big table, analysed."""
    engine = migrated_engine(fresh_database(postgres_server, f"sscard_dashboard_plans_{os.getpid()}"))
    with engine.begin() as conn:
        for statement in _FILL:
            conn.execute(text(statement), {"n": ROWS, "last_hour": hour_of(NOW), "last_day": day_of(NOW.date())})
    yield engine
    engine.dispose()


def plan_of(engine: Engine, stmt: Select[*tuple[Any, ...]]) -> str:
    """EXPLAIN of exactly the SQL and parameters the service sends."""
    compiled = stmt.compile(dialect=engine.dialect)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
    return "\n".join(row[0] for row in rows)


def statements(scope: str) -> dict[str, tuple[Select[*tuple[Any, ...]], str]]:
    first_hour = hour_of(NOW) - 23
    return {
        "invalid list": (invalid_statement(scope), "pk_dashboard_counts"),
        "settlements": (hourly_statement(SETTLEMENT, scope, first_hour), "pk_dashboard_counts"),
        "loss reports": (hourly_statement(LOSS, scope, day_of(NOW.date()) - 29), "pk_dashboard_counts"),
        "replacements": (replacements_statement(scope, NOW), "pk_dashboard_counts"),
        "claims": (claims_statement(scope), "ix_claims_waiting_region_code_submitted_at"),
    }


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("figure", ["invalid list", "settlements", "loss reports", "replacements", "claims"])
def test_every_figure_reads_by_index(filled: Engine, figure: str, scope: str) -> None:
    stmt, index = statements(scope)[figure]
    plan = plan_of(filled, stmt)
    assert "Seq Scan" not in plan, plan
    assert re.search(rf"(Index|Index Only) Scan (using|on) {index}", plan), plan


def test_the_counts_a_figure_reads_are_few(filled: Engine) -> None:
    """The settlements of 24 hours in a province read 24 hours' rows, not the table's."""
    stmt, _ = statements("110000")["settlements"]
    compiled = stmt.compile(dialect=filled.dialect)
    with filled.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", compiled.params).scalar_one()
    scanned = _rows_scanned(plan[0]["Plan"])
    # Beijing's 24 hours of both outcomes in two regions and four shards, and the
    # other regions' rows of those hours, filtered out on the index's own pages.
    assert scanned <= 24 * 2 * 4 * 4, scanned


def _rows_scanned(node: dict[str, Any]) -> int:
    own = int(node["Actual Rows"]) if "Index" in node["Node Type"] or "Seq" in node["Node Type"] else 0
    return own + sum(_rows_scanned(child) for child in node.get("Plans", []))
