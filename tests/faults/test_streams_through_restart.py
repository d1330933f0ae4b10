"""The live invalid list through a PostgreSQL restart (issue 14): a terminal's open
stream gets every change once, in order, those committed after the restart too."""

from __future__ import annotations

import pytest

from tests.faults.conftest import Served
from tests.faults.world import wait_for_database
from tests.invalid_list.cards import new_card, report_lost, version_now
from tests.invalid_list.live import stream, take, versions

pytestmark = [pytest.mark.postgres_only, pytest.mark.faults]


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_an_open_stream_gets_every_change_once_in_order_through_a_restart(served: Served, mode: str) -> None:
    cards = [new_card(served.rt, "110101") for _ in range(6)]
    headers = served.terminal_headers(served.shop.terminals[0])
    with stream(served.base, headers) as events:
        start = version_now(served.rt)
        for card_no in cards[:3]:
            report_lost(served.rt, card_no)
        received = take(events, 3)
        served.postgres.restart(mode)
        wait_for_database(served.rt)
        for card_no in cards[3:]:
            report_lost(served.rt, card_no)
        received += take(events, 3)
    assert versions(received) == list(range(start + 1, start + 7))
    assert [event.event for event in received] == ["change"] * 6
