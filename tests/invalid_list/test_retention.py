"""R-INV-3: the change log is kept `list_retention_days`; a terminal away longer is told
410 snapshot_required, one that can still follow misses nothing, and the snapshot
still lists every invalid card."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sscard.clock import FixedClock
from sscard.invalid_list import retention
from sscard.jobs import run_due_jobs
from sscard.runtime import Runtime
from tests.api import Api
from tests.invalid_list.test_list_api import card_in, changes, listed, version
from tests.invalid_list.test_stream import beijing_terminal

RETENTION_DAYS = 30


def trim(rt: Runtime) -> int:
    return run_due_jobs(rt)["trim_list_changes"]


def lost_and_found(api: Api, card_no: str) -> None:
    api.report_loss(card_no)
    lifted = api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", api.clerk, json={})
    assert lifted.status_code == 200, lifted.text


def test_r_inv_3_changes_older_than_the_retention_are_trimmed_and_410_asks_for_a_snapshot(
    api: Api, rt: Runtime, clock: FixedClock
) -> None:
    rt.settings.list_retention_days = RETENTION_DAYS
    base = version(api)
    old_lost, old_found = card_in(api), card_in(api)
    api.report_loss(old_lost, "formal")  # base + 1, still listed after the trim
    lost_and_found(api, old_found)  # base + 2, base + 3
    clock.advance(timedelta(days=RETENTION_DAYS - 1))
    assert trim(rt) == 0  # a day younger than the retention: kept
    clock.advance(timedelta(days=2))
    young = card_in(api)
    api.report_loss(young)  # base + 4, young

    assert trim(rt) >= 3
    problem = changes(api, base + 2)
    assert problem.status_code == 410
    assert problem.json()["code"] == "snapshot_required"
    kept = changes(api, base + 3)  # held everything up to the trim: follows on
    assert kept.status_code == 200, kept.text
    assert [(c["version"], c["card_no"]) for c in kept.json()["changes"]] == [(base + 4, young)]
    assert listed(api, "000000") == {old_lost: "lost", young: "lost"}  # the snapshot needs no log
    assert trim(rt) == 0


def test_r_inv_3_a_stream_resuming_before_the_kept_log_is_410(api: Api, rt: Runtime, clock: FixedClock) -> None:
    rt.settings.list_retention_days = RETENTION_DAYS
    base = version(api)
    lost_and_found(api, card_in(api))
    clock.advance(timedelta(days=RETENTION_DAYS + 1))
    trim(rt)
    response = api.call("GET", "/v1/invalid-list/stream", beijing_terminal(api) | {"Last-Event-ID": str(base)})
    assert response.status_code == 410
    assert response.json()["code"] == "snapshot_required"


def test_r_inv_3_a_change_younger_than_the_retention_stops_the_trim_even_after_older_ones(
    api: Api, rt: Runtime, clock: FixedClock
) -> None:
    # The clock was set back between two changes: the later version carries the earlier
    # instant. Trimming stops at the first young change and leaves no hole behind it.
    rt.settings.list_retention_days = RETENTION_DAYS
    base = version(api)
    clock.advance(timedelta(days=RETENTION_DAYS + 10))
    young = card_in(api)
    api.report_loss(young, "formal")  # base + 1, young
    clock.advance(timedelta(days=-(RETENTION_DAYS + 10)))
    old = card_in(api)
    api.report_loss(old, "formal")  # base + 2, "older"
    clock.advance(timedelta(days=RETENTION_DAYS + 10))
    trim(rt)
    followed = changes(api, base)
    assert followed.status_code == 200, followed.text
    assert [c["card_no"] for c in followed.json()["changes"]] == [young, old]


def test_r_inv_3_a_retention_of_0_keeps_the_log_for_ever(api: Api, rt: Runtime, clock: FixedClock) -> None:
    rt.settings.list_retention_days = 0
    base = version(api)
    lost_and_found(api, card_in(api))
    clock.advance(timedelta(days=3650))
    assert trim(rt) == 0
    assert len(changes(api, base).json()["changes"]) == 2


def test_the_trim_is_done_in_batches_oldest_first(
    api: Api, rt: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt.settings.list_retention_days = RETENTION_DAYS
    base = version(api)
    cards = [card_in(api) for _ in range(3)]
    for card_no in cards:
        api.report_loss(card_no)
    clock.advance(timedelta(days=RETENTION_DAYS + 1))
    monkeypatch.setattr(retention, "TRIM_BATCH", 2)
    assert trim(rt) == 2
    assert changes(api, base + 1).status_code == 410
    assert changes(api, base + 2).status_code == 200
    assert trim(rt) == 1
