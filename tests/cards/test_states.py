"""The card state machine (R-CARD-1), checked against a table written from DOMAIN.md."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.cards.states import (
    FINAL,
    LIVE,
    CardEvent,
    CardStatus,
    TransitionRefused,
    allowed_events,
    next_status,
)
from sscard.invalid_list.rules import listing

S, E = CardStatus, CardEvent

# Written from the rule text, not copied from the module:
# R-CARD-1  unactivated → active; active → provisional_loss → active (lifted) or lost
#           (formal); lost / provisional_loss / active (damaged) → replaced; any → cancelled;
#           replaced and cancelled are final.
# R-CARD-2  a card that was never activated can be lost ("not yet activated").
# R-LOSS-2  a formal report is made in person, so it need not follow a provisional one.
# R-LOSS-5  a loss report (provisional or formal) is lifted when the card is found.
EXPECTED: dict[tuple[CardStatus, CardEvent], CardStatus] = {
    (S.UNACTIVATED, E.ACTIVATE): S.ACTIVE,
    (S.UNACTIVATED, E.REPORT_PROVISIONAL_LOSS): S.PROVISIONAL_LOSS,
    (S.UNACTIVATED, E.REPORT_FORMAL_LOSS): S.LOST,
    (S.UNACTIVATED, E.CANCEL): S.CANCELLED,
    (S.ACTIVE, E.REPORT_PROVISIONAL_LOSS): S.PROVISIONAL_LOSS,
    (S.ACTIVE, E.REPORT_FORMAL_LOSS): S.LOST,
    (S.ACTIVE, E.REPLACE): S.REPLACED,
    (S.ACTIVE, E.CANCEL): S.CANCELLED,
    (S.PROVISIONAL_LOSS, E.REPORT_FORMAL_LOSS): S.LOST,
    (S.PROVISIONAL_LOSS, E.LIFT_LOSS): S.ACTIVE,
    (S.PROVISIONAL_LOSS, E.REPLACE): S.REPLACED,
    (S.PROVISIONAL_LOSS, E.CANCEL): S.CANCELLED,
    (S.LOST, E.LIFT_LOSS): S.ACTIVE,
    (S.LOST, E.REPLACE): S.REPLACED,
    (S.LOST, E.CANCEL): S.CANCELLED,
}

ALL_PAIRS = list(itertools.product(CardStatus, CardEvent))
ALLOWED_PAIRS = [pair for pair in ALL_PAIRS if pair in EXPECTED]
REFUSED_PAIRS = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def test_the_expected_table_covers_six_statuses_and_six_events() -> None:
    """Guard: a new status or event must be placed in EXPECTED by hand."""
    assert {s.value for s in CardStatus} == {
        "unactivated",
        "active",
        "provisional_loss",
        "lost",
        "replaced",
        "cancelled",
    }
    assert {e.value for e in CardEvent} == {
        "activate",
        "report_provisional_loss",
        "report_formal_loss",
        "lift_loss",
        "replace",
        "cancel",
    }
    assert len(ALLOWED_PAIRS) + len(REFUSED_PAIRS) == 36


@pytest.mark.parametrize(("status", "event"), ALLOWED_PAIRS)
def test_r_card_1_allowed_transition(status: CardStatus, event: CardEvent) -> None:
    """R-CARD-1: every arrow of the rule goes where the rule says."""
    assert next_status(status, event) is EXPECTED[status, event]


@pytest.mark.parametrize(("status", "event"), REFUSED_PAIRS)
def test_r_card_1_refused_transition(status: CardStatus, event: CardEvent) -> None:
    """R-CARD-1: an event with no arrow from the status is refused, naming both."""
    with pytest.raises(TransitionRefused) as caught:
        next_status(status, event)
    assert caught.value.status is status
    assert caught.value.event is event
    assert str(status) in str(caught.value)


@pytest.mark.parametrize(("status", "event"), REFUSED_PAIRS)
def test_r_card_1_refused_transition_also_for_never_activated_cards(status: CardStatus, event: CardEvent) -> None:
    """R-CARD-1: the `activated` flag never opens an arrow the table lacks."""
    with pytest.raises(TransitionRefused):
        next_status(status, event, activated=False)


@pytest.mark.parametrize("status", [S.REPLACED, S.CANCELLED])
@pytest.mark.parametrize("event", list(CardEvent))
def test_r_card_1_replaced_and_cancelled_are_final(status: CardStatus, event: CardEvent) -> None:
    """R-CARD-1: nothing leaves `replaced` or `cancelled`, not even cancel."""
    with pytest.raises(TransitionRefused):
        next_status(status, event)


@pytest.mark.parametrize("status", [S.PROVISIONAL_LOSS, S.LOST])
def test_r_loss_5_lift_returns_a_never_activated_card_to_unactivated(status: CardStatus) -> None:
    """R-LOSS-5 / R-CARD-2: a lifted loss on a card never activated leaves it unactivated."""
    assert next_status(status, E.LIFT_LOSS, activated=False) is S.UNACTIVATED


@pytest.mark.parametrize("status", [S.PROVISIONAL_LOSS, S.LOST])
def test_r_loss_5_lift_returns_an_activated_card_to_active(status: CardStatus) -> None:
    """R-LOSS-5: a lifted loss on a card that was in use makes it active again."""
    assert next_status(status, E.LIFT_LOSS, activated=True) is S.ACTIVE
    assert next_status(status, E.LIFT_LOSS) is S.ACTIVE


@pytest.mark.parametrize(("status", "event"), [p for p in ALLOWED_PAIRS if p[1] is not E.LIFT_LOSS])
def test_activated_flag_only_matters_for_lift(status: CardStatus, event: CardEvent) -> None:
    assert next_status(status, event, activated=False) is EXPECTED[status, event]


@pytest.mark.parametrize("status", list(CardStatus))
def test_allowed_events_match_the_rule(status: CardStatus) -> None:
    assert allowed_events(status) == {event for (source, event) in EXPECTED if source is status}


def test_final_set() -> None:
    """R-CARD-1: replaced and cancelled are final."""
    assert frozenset({S.REPLACED, S.CANCELLED}) == FINAL


def test_live_set_is_every_status_but_the_final_ones() -> None:
    """R-CARD-1: a card that is not replaced or cancelled still stands for its holder."""
    assert frozenset({S.UNACTIVATED, S.ACTIVE, S.PROVISIONAL_LOSS, S.LOST}) == LIVE
    assert not LIVE & FINAL


def test_r_inv_1_invalid_list_set() -> None:
    """R-INV-1 / R-LOSS-1: lost (pre-loss included), replaced and cancelled cards are invalid."""
    listed = {status for status in S if listing(status, None) is not None}
    assert listed == {S.PROVISIONAL_LOSS, S.LOST, S.REPLACED, S.CANCELLED}
    assert listing(S.ACTIVE, "damaged") is not None  # invalid once its replacement is applied for
    assert listing(S.UNACTIVATED, None) is None


@given(st.lists(st.sampled_from(list(CardEvent)), max_size=40))
def test_r_card_1_random_event_sequences_follow_the_table(events: list[CardEvent]) -> None:
    """R-CARD-1: from `unactivated`, every step taken is an arrow of the rule and final is final."""
    status = S.UNACTIVATED
    activated = False
    for event in events:
        was_final = status in FINAL
        try:
            after = next_status(status, event, activated=activated)
        except TransitionRefused:
            assert (status, event) not in EXPECTED
            continue
        assert not was_final, f"left final status {status} by {event}"
        assert (status, event) in EXPECTED
        if event is E.LIFT_LOSS and not activated:
            assert after is S.UNACTIVATED
        else:
            assert after is EXPECTED[status, event]
        activated = activated or after is S.ACTIVE
        status = after
    assert status in set(CardStatus)
