"""R-SET-6 on PostgreSQL: one counter of a card, uploaded from two connections at once,
moves money once."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from sscard.clock import FixedClock
from sscard.people.models import Account, Posting
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.settlement.models import OfflineCounter
from sscard.settlement.offline import OfflineCharge, OfflineResult, upload
from sscard.terminal.card import SoftwareCard
from sscard.unit import Unit
from tests.concurrency import as_request, in_unit, race
from tests.settlement.test_settlement_concurrency import OPENING, pharmacy_and_card

ADMIN = Principal("admin.test", Role.ADMIN)


def signed_charge(rt: Runtime, terminal: Principal, card_no: str, local_id: str, chip: SoftwareCard) -> OfflineCharge:
    at = rt.clock.now() - timedelta(minutes=5)
    text = at.isoformat()
    proof = chip.sign(amount=1_000, category="drug", occurred_at=text, terminal_id=terminal.subject)
    return OfflineCharge(local_id, card_no, 1_000, "drug", at, 0, occurred_at_text=text, **proof)


@pytest.mark.postgres_only
def test_r_set_6_one_counter_uploaded_twice_at_once_posts_once(committed_rt: Runtime) -> None:
    if committed_rt.engine.dialect.name != "postgresql":
        pytest.skip("row locks and a unique constraint racing are PostgreSQL's to show")
    terminal, person_id, card_no = pharmacy_and_card(committed_rt)
    assert isinstance(committed_rt.clock, FixedClock)
    committed_rt.clock.advance(timedelta(hours=1))
    chip = SoftwareCard(card_no, committed_rt.card_key(card_no))
    charge = signed_charge(committed_rt, terminal, card_no, "first", chip)
    twins = [charge, dataclasses.replace(charge, local_id="second")]  # the same proof under two local IDs
    outcomes = race(*(as_request(committed_rt, terminal, partial(upload, charges=[one])) for one in twins))
    batches = [batch for batch in outcomes if isinstance(batch, list)]
    judged = sorted((r.status.value, r.code) for batch in batches for r in batch if isinstance(r, OfflineResult))
    assert judged == [("posted", None), ("rejected", "counter_reused")]
    assert in_unit(committed_rt, ADMIN, lambda unit: state(unit, person_id)) == (OPENING - 1_000, OPENING - 1_000, 1)


def state(unit: Unit, person_id: int) -> tuple[int, int, int]:
    balance = unit.session.get_one(Account, person_id).balance
    total = unit.session.scalar(select(func.sum(Posting.amount)).where(Posting.person_id == person_id))
    counters = unit.session.scalar(select(func.count()).select_from(OfflineCounter))
    return balance, int(total or 0), int(counters or 0)
