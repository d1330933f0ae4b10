"""R-FIND-1 answers by index: PostgreSQL's plan of each search the service runs, on
enough persons that a sequential scan would be the planner's choice if it could."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, Select, text

from sscard.find.rules import PersonSearch, Way
from sscard.find.service import search_statement
from sscard.people.models import Person
from sscard.roles import Principal, Role
from tests.conftest import fresh_database, migrated_engine

pytestmark = pytest.mark.postgres_only

PERSONS = 40_000
# Person i: born 1950-01-01 + (i mod 20000) days, one of 500 names, phone 139 + i (none
# for every tenth), one card 1101010 + i, at bank ICBC or BOB by parity.
_FILL = [
    """
    INSERT INTO persons (id, id_number, name, region_code, scheme, phone, created_at, birth_date)
    SELECT i, '110101' || lpad(i::text, 12, '0'),
           (ARRAY['王','李','张','刘','陈'])[1 + i % 5] || chr(19968 + (i / 5) % 100),
           (ARRAY['110101','110105','510703','130702'])[1 + i % 4], 'employee',
           CASE WHEN i % 10 = 0 THEN NULL ELSE '139' || lpad(i::text, 8, '0') END,
           now(), date '1950-01-01' + i % 20000
    FROM generate_series(1, :n) AS i
    """,
    """
    INSERT INTO cards (id, card_no, person_id, region_code, bank, status, pin_failures, pin_changed_by_holder,
                       issued_at, status_changed_at, valid_until)
    SELECT i, '1101010' || lpad(i::text, 9, '0'), i, '110101', CASE WHEN i % 2 = 0 THEN 'ICBC' ELSE 'BOB' END,
           'active', 0, false, now(), now(), current_date + 3650
    FROM generate_series(1, :n) AS i
    """,
    "ANALYZE persons",
    "ANALYZE cards",
]

SEARCHES = {
    Way.ID_NUMBER: (PersonSearch(Way.ID_NUMBER, "110101000000012345"), "uq_persons_id_number"),
    Way.CARD_NO: (PersonSearch(Way.CARD_NO, "1101010000012345"), "pk_persons"),
    Way.PHONE: (PersonSearch(Way.PHONE, "13900012345"), "ix_persons_phone_id"),
    Way.NAME: (PersonSearch(Way.NAME, "王一", date(1950, 1, 1)), "ix_persons_name_birth_date_id"),
}
CALLERS = {
    "national-admin": Principal("admin.test", Role.ADMIN),
    "province-clerk": Principal("clerk.test", Role.CLERK, "110000"),
    "district-operator": Principal("operator.test", Role.OPERATOR, "110101"),
    "bank": Principal("bank.test", Role.BANK, "110000", bank="ICBC"),
}


@pytest.fixture(scope="module")
def filled(postgres_server: str) -> Iterator[Engine]:
    """A migrated database holding PERSONS persons with a card each, analysed."""
    engine = migrated_engine(fresh_database(postgres_server, f"sscard_search_plans_{os.getpid()}"))
    with engine.begin() as conn:
        for statement in _FILL:
            conn.execute(text(statement), {"n": PERSONS})
    yield engine
    engine.dispose()


def plan_of(engine: Engine, stmt: Select[Person]) -> str:
    """EXPLAIN of exactly the SQL and parameters the service would send."""
    compiled = stmt.compile(dialect=engine.dialect)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("way", list(SEARCHES))
def test_r_find_1_every_search_reads_persons_by_index(filled: Engine, way: Way, caller: str) -> None:
    search, index = SEARCHES[way]
    plan = plan_of(filled, search_statement(CALLERS[caller], search, after=None, limit=20))
    assert "Seq Scan on persons" not in plan, plan
    assert re.search(rf"(Index|Index Only) Scan using {index} on persons", plan), plan
    if way is Way.CARD_NO:
        assert "Index Scan using uq_cards_card_no on cards" in plan, plan
        assert "Seq Scan on cards" not in plan, plan


@pytest.mark.parametrize("way", [Way.PHONE, Way.NAME])
def test_r_find_1_a_later_page_starts_inside_the_index(filled: Engine, way: Way) -> None:
    search, index = SEARCHES[way]
    plan = plan_of(filled, search_statement(CALLERS["province-clerk"], search, after=12_000, limit=20))
    assert re.search(rf"Index Scan using {index} on persons.*\n\s+Index Cond: .*\(id > 12000\)", plan), plan


def test_r_find_1_the_filled_rows_are_found_as_planned(filled: Engine) -> None:
    """The fixture's rows really answer the searches (the plans above are not of empty results)."""
    with filled.connect() as conn:
        for search, _ in SEARCHES.values():
            stmt = search_statement(CALLERS["national-admin"], search, after=None, limit=20)
            assert conn.execute(stmt).all(), search
