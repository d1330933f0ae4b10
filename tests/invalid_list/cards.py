"""Cards that go on and off the invalid list through the real services, each step
committed in its own unit of work, as a request would."""

from __future__ import annotations

from sscard.cards.service import activate, issue_card
from sscard.invalid_list.service import current_version
from sscard.loss.rules import Channel, ReportKind
from sscard.loss.service import NewLossReport, lift_loss, report_loss
from sscard.people.schemes import Scheme
from sscard.people.service import NewPerson, register_person
from sscard.roles import Role
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests import factories
from tests.concurrency import in_unit

CLERK = factories.principal(Role.CLERK)
PIN = "246810"


def new_card(rt: Runtime, region: str = "110105", bank: str = "ICBC") -> str:
    """An active card of a new person of the region; its number."""

    def work(unit: Unit) -> str:
        person = register_person(unit, NewPerson(factories.id_number(region), "王小明", region, Scheme.EMPLOYEE))
        card = issue_card(unit, person.id, bank)
        activate(unit, card.card_no, PIN)
        return card.card_no

    return in_unit(rt, CLERK, work)


def report_lost(rt: Runtime, card_no: str) -> None:
    """A provisional loss report at the counter: the card goes on the list."""
    report = NewLossReport(kind=ReportKind.PROVISIONAL, channel=Channel.COUNTER)
    in_unit(rt, CLERK, lambda unit: report_loss(unit, card_no, report))


def lift(rt: Runtime, card_no: str) -> None:
    """The card was found: it comes off the list."""
    in_unit(rt, CLERK, lambda unit: lift_loss(unit, card_no))


def version_now(rt: Runtime) -> int:
    """The newest committed list version."""
    return in_unit(rt, CLERK, lambda unit: current_version(unit.session))
