"""Races the counter and the banks really run into, with committed transactions.

On PostgreSQL the card and replacement rows are locked FOR UPDATE; on SQLite writers
are serialised. Either way every race must end in one consistent state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from sqlalchemy import func, select

from sscard.cards.models import Card, CardTransition
from sscard.cards.service import activate, issue_card
from sscard.cards.states import LIVE
from sscard.clock import FixedClock
from sscard.jobs import run_due_jobs
from sscard.loss import replacement
from sscard.loss.models import Replacement
from sscard.loss.rules import Channel, ReplacementReason, ReportKind
from sscard.loss.service import NewLossReport, lift_loss, report_loss
from sscard.people.ledger import PostingKind
from sscard.people.models import Account, Person, Posting
from sscard.people.schemes import Scheme
from sscard.people.service import NewPerson, post, register_person
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests import factories
from tests.concurrency import as_request, in_unit, race

CLERK = Principal("clerk.test", Role.CLERK)
ADMIN = Principal("admin.test", Role.ADMIN)
DOCUMENTS = ("resident_id_card", "photo")


def lost_card(rt: Runtime, bank: str = "ICBC", balance: int = 10_000) -> tuple[int, str]:
    """A person whose active card with a balance has been reported lost provisionally."""

    def setup(unit: Unit) -> tuple[int, str]:
        person = register_person(unit, NewPerson(factories.id_number(), "王小明", "110101", Scheme.EMPLOYEE))
        card = issue_card(unit, person.id, bank)
        activate(unit, card.card_no, "246810")
        post(unit, person.id, balance, PostingKind.DEPOSIT)
        report_loss(unit, card.card_no, NewLossReport(ReportKind.PROVISIONAL, Channel.COUNTER))
        return person.id, card.card_no

    return in_unit(rt, CLERK, setup)


def apply_for(card_no: str, bank: str | None = None) -> Callable[[Unit], int]:
    new = replacement.NewReplacement(ReplacementReason.LOST, bank=bank, documents=DOCUMENTS)
    return lambda unit: replacement.apply(unit, card_no, new).id


def lift(card_no: str) -> Callable[[Unit], str]:
    return lambda unit: lift_loss(unit, card_no).status


def test_a_replacement_racing_a_lift_leaves_one_consistent_state(committed_rt: Runtime) -> None:
    """R-LOSS-5 and R-REP-1: either the card is found (active, no replacement) or it
    is being replaced (still lost, one replacement) — never a lifted card with one."""
    for _ in range(8):
        _, card_no = lost_card(committed_rt)
        outcomes = race(
            as_request(committed_rt, CLERK, lift(card_no)),
            as_request(committed_rt, CLERK, apply_for(card_no)),
        )
        card, replacements = in_unit(committed_rt, ADMIN, partial(card_and_replacements, card_no=card_no))
        if card.status == "active":
            assert replacements == 0
            assert "loss_report_required" in outcomes
        else:
            assert card.status == "provisional_loss"
            assert replacements == 1
            assert "replacement_exists" in outcomes


def card_and_replacements(unit: Unit, card_no: str) -> tuple[Card, int]:
    card = unit.session.scalars(select(Card).where(Card.card_no == card_no)).one()
    count = unit.session.scalar(select(func.count()).select_from(Replacement).where(Replacement.old_card_id == card.id))
    return card, int(count or 0)


def ready_replacement(rt: Runtime, clock: FixedClock, bank: str | None = None) -> tuple[int, str, int, str]:
    person_id, card_no = lost_card(rt)
    replacement_id = in_unit(rt, CLERK, apply_for(card_no, bank))
    clock.advance(timedelta(days=40))
    id_number, certificate = in_unit(rt, ADMIN, lambda unit: credentials(unit, replacement_id))
    return person_id, id_number, replacement_id, certificate


def credentials(unit: Unit, replacement_id: int) -> tuple[str, str]:
    row = unit.session.get_one(Replacement, replacement_id)
    card = unit.session.get_one(Card, row.old_card_id)
    return unit.session.get_one(Person, card.person_id).id_number, row.collection_certificate_no


def test_two_clerks_collecting_the_same_card_hand_over_one(committed_rt: Runtime) -> None:
    """R-REP-5: one new card, one collection; the other clerk is told it is gone."""
    clock = committed_rt.clock
    assert isinstance(clock, FixedClock)
    person_id, id_number, replacement_id, certificate = ready_replacement(committed_rt, clock)

    def collect(unit: Unit) -> str:
        new, _ = replacement.collect(unit, replacement_id, id_number, certificate)
        return new.card_no

    outcomes = race(as_request(committed_rt, CLERK, collect), as_request(committed_rt, CLERK, collect))
    assert sorted(map(str, outcomes))[1] == "already_collected"
    assert outcomes.count("already_collected") == 1
    live = in_unit(committed_rt, ADMIN, lambda unit: live_cards(unit, person_id))
    assert len(live) == 1
    assert live[0].status == "unactivated"


def live_cards(unit: Unit, person_id: int) -> list[Card]:
    return list(unit.session.scalars(select(Card).where(Card.person_id == person_id, Card.status.in_(LIVE))))


def test_the_two_cross_bank_steps_arriving_together_move_the_balance_once(committed_rt: Runtime) -> None:
    """R-REP-6: clearing notice and bank cancellation at the same instant — the old
    balance moves exactly once, and the total never changes."""
    clock = committed_rt.clock
    assert isinstance(clock, FixedClock)
    person_id, id_number, replacement_id, certificate = ready_replacement(committed_rt, clock, bank="CCB")
    in_unit(committed_rt, CLERK, lambda unit: replacement.collect(unit, replacement_id, id_number, certificate))
    old_bank = Principal("bank.icbc", Role.BANK, bank="ICBC")
    race(
        as_request(committed_rt, CLERK, lambda unit: replacement.record_clearing_notice(unit, replacement_id).id),
        as_request(committed_rt, old_bank, lambda unit: replacement.record_bank_cancellation(unit, replacement_id).id),
    )
    account, postings = in_unit(committed_rt, ADMIN, lambda unit: ledger(unit, person_id))
    kinds = [p.kind for p in postings]
    assert kinds.count("transfer_out") == kinds.count("transfer_in") == 1
    assert account.held == 0
    assert account.balance == 10_000 == sum(p.amount for p in postings)


def ledger(unit: Unit, person_id: int) -> tuple[Account, list[Posting]]:
    account = unit.session.get_one(Account, person_id)
    postings = unit.session.scalars(select(Posting).where(Posting.person_id == person_id).order_by(Posting.id))
    return account, list(postings)


def test_the_release_job_in_two_processes_releases_each_report_once(committed_rt: Runtime) -> None:
    """R-LOSS-5: two schedulers at once release every expired report exactly once."""
    cards = [lost_card(committed_rt)[1] for _ in range(6)]
    clock = committed_rt.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=16))

    def scheduler() -> int:
        return run_due_jobs(committed_rt)["release_expired_provisional"]

    outcomes = race(scheduler, scheduler)
    assert sum(int(str(o)) for o in outcomes) == len(cards)
    releases = in_unit(committed_rt, ADMIN, count_releases)
    assert releases == len(cards)


def count_releases(unit: Unit) -> int:
    stmt = select(func.count()).select_from(CardTransition).where(CardTransition.reason == "provisional_expired")
    return int(unit.session.scalar(stmt) or 0)
