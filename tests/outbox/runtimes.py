"""Runtimes whose units of work really commit, for the outbox's after-commit deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from sscard.cards.service import activate, issue_card
from sscard.clock import FixedClock
from sscard.db import make_engine
from sscard.loss.rules import Channel, ReportKind
from sscard.loss.service import NewLossReport, report_loss
from sscard.outbox import OutboxMessage
from sscard.people.schemes import Scheme
from sscard.people.service import NewPerson, register_person
from sscard.roles import Principal, Role
from sscard.runtime import Runtime, build_runtime
from sscard.unit import Unit
from tests import factories
from tests.concurrency import in_unit
from tests.conftest import START, make_settings, migrated_engine

CLERK = Principal("clerk.test", Role.CLERK)
ADMIN = Principal("admin.test", Role.ADMIN)
PIN = "246810"


@contextmanager
def committed_runtime(
    database_url: str, var_dir: Path, *, migrate: bool = True, **settings: object
) -> Iterator[Runtime]:
    """A runtime on that database with its own engine and a FixedClock at START."""
    options: dict[str, object] = {"pool_size": 10, "max_overflow": 0}
    engine = migrated_engine(database_url, **options) if migrate else make_engine(database_url, **options)
    rt = build_runtime(make_settings(var_dir=var_dir, **settings), engine=engine, clock=FixedClock(START))
    try:
        yield rt
    finally:
        rt.bank_http.close()
        engine.dispose()


def database_url(rt: Runtime) -> str:
    """The URL another runtime (another worker) connects to the same database with."""
    return rt.engine.url.render_as_string(hide_password=False)


def clock_of(rt: Runtime) -> FixedClock:
    assert isinstance(rt.clock, FixedClock)
    return rt.clock


def holder_with_card(
    rt: Runtime, *, phone: str | None = "13800138000", language: str = "zh-CN", bank: str = "ICBC"
) -> tuple[int, str]:
    """A registered person with an active card, committed; (person_id, card_no)."""

    def setup(unit: Unit) -> tuple[int, str]:
        new = NewPerson(factories.id_number(), "王小明", "110101", Scheme.EMPLOYEE, phone=phone, language=language)
        person = register_person(unit, new)
        card = issue_card(unit, person.id, bank)
        activate(unit, card.card_no, PIN)
        return person.id, card.card_no

    return in_unit(rt, CLERK, setup)


def report_lost(unit: Unit, card_no: str) -> None:
    report_loss(unit, card_no, NewLossReport(ReportKind.PROVISIONAL, Channel.COUNTER))


def outbox_rows(rt: Runtime, topic: str | None = None) -> list[OutboxMessage]:
    """The outbox as committed, oldest first."""
    with rt.sessions() as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if topic is not None:
            stmt = stmt.where(OutboxMessage.topic == topic)
        return list(session.scalars(stmt))


def count(rt: Runtime, model: type[object]) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
