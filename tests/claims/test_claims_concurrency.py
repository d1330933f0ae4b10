"""R-SEC-4 on PostgreSQL: two second approvers confirming one claim at once pay it once."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import func, select

from sscard.claims.models import Claim
from sscard.claims.rules import AWAITING_SECOND_REVIEW, Decision
from sscard.claims.service import Review, decide
from sscard.people.ledger import PostingKind
from sscard.people.models import Account, Posting
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests.concurrency import as_request, in_unit, race
from tests.loss.test_races import ADMIN, apply_for, lost_card

AMOUNT = 800_000


def awaiting_claim(unit: Unit, person_id: int, replacement_id: int) -> int:
    """A claim one reviewer approved above second_review_fen: set down as it stands."""
    claim = Claim(
        person_id=person_id,
        region_code="110101",
        replacement_id=replacement_id,
        kind="inpatient",
        documents=["invoice", "expense_list", "medical_record", "discharge_summary"],
        claimed_amount=AMOUNT,
        approved_amount=AMOUNT,
        status=AWAITING_SECOND_REVIEW,
        submitted_at=unit.now,
        submitted_by="li.xiuying",
        first_approved_by="clerk.zhang",
        first_approved_at=unit.now,
    )
    unit.session.add(claim)
    unit.session.flush()
    return claim.id


@pytest.mark.postgres_only
def test_r_sec_4_two_second_approvers_at_once_pay_once(committed_rt: Runtime) -> None:
    if committed_rt.engine.dialect.name != "postgresql":
        pytest.skip("row locks racing are PostgreSQL's to show")
    person_id, card_no = lost_card(committed_rt, balance=1_000)
    replacement_id = in_unit(committed_rt, ADMIN, apply_for(card_no))
    claim_id = in_unit(committed_rt, ADMIN, lambda unit: awaiting_claim(unit, person_id, replacement_id))
    confirm = partial(decide, claim_id=claim_id, review=Review(Decision.APPROVE))
    approvers = [Principal(f"clerk.{name}", Role.CLERK, "110000") for name in ("li", "sun", "zhou")]
    outcomes = race(*(as_request(committed_rt, who, confirm) for who in approvers))
    statuses = sorted(o.status if isinstance(o, Claim) else str(o) for o in outcomes)
    assert statuses == ["already_decided", "already_decided", "approved"]
    assert in_unit(committed_rt, ADMIN, lambda unit: paid(unit, person_id)) == (1_000 + AMOUNT, 1)


def paid(unit: Unit, person_id: int) -> tuple[int, int]:
    balance = unit.session.get_one(Account, person_id).balance
    count = unit.session.scalar(
        select(func.count())
        .select_from(Posting)
        .where(Posting.person_id == person_id, Posting.kind == PostingKind.CLAIM)
    )
    return balance, int(count or 0)
