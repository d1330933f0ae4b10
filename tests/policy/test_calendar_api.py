"""A region's working-day calendar over HTTP: official days, local days, inheritance (R-REP-3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sscard.db import transaction
from sscard.policy.service import calendar_for
from sscard.roles import Role
from tests.api import Api

BEIJING, BEIJING_CITY, CHAOYANG, HAIDIAN = "110000", "110100", "110105", "110108"
HEBEI, ZHANGJIAKOU = "130000", "130700"


def calendar(api: Api, region: str, start: str, end: str) -> dict[str, Any]:
    response = api.call("GET", f"/v1/regions/{region}/calendar", api.clerk, params={"from": start, "to": end})
    assert response.status_code == 200, response.text
    return dict(response.json())


def day(api: Api, region: str, on: str) -> dict[str, Any]:
    (entry,) = calendar(api, region, on, on)["days"]
    return dict(entry)


def set_day(api: Api, region: str, on: str, *, working: bool, note: str = "") -> dict[str, Any]:
    body = {"working": working, "note": note}
    response = api.call("PUT", f"/v1/regions/{region}/calendar/{on}", api.admin, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_range_across_spring_festival_2026_shows_the_official_days(api: Api) -> None:
    listed = calendar(api, CHAOYANG, "2026-02-13", "2026-03-01")
    assert listed["region"] == CHAOYANG
    working = {entry["date"]: entry["working"] for entry in listed["days"]}
    assert list(working) == [f"2026-02-{d}" for d in range(13, 29)] + ["2026-03-01"]
    assert working["2026-02-14"] is True  # an adjusted working Saturday
    assert not any(working[f"2026-02-{d}"] for d in range(15, 24))
    assert working["2026-02-24"] is True
    assert working["2026-02-28"] is True
    assert working["2026-03-01"] is False
    assert {(entry["source"], entry["note"]) for entry in listed["days"]} == {("official", None)}


def test_a_beijing_day_off_reaches_its_districts_but_not_hebei(api: Api) -> None:
    entry = set_day(api, BEIJING, "2026-03-03", working=False, note="local day off")
    assert entry == {"date": "2026-03-03", "working": False, "source": BEIJING, "note": "local day off"}
    assert day(api, CHAOYANG, "2026-03-03") == entry
    assert day(api, BEIJING, "2026-03-03") == entry
    assert day(api, HEBEI, "2026-03-03") == {"date": "2026-03-03", "working": True, "source": "official", "note": None}
    assert day(api, ZHANGJIAKOU, "2026-03-03")["source"] == "official"


def test_a_districts_own_day_wins_over_its_provinces(api: Api) -> None:
    set_day(api, BEIJING, "2026-03-03", working=False, note="province")
    set_day(api, BEIJING_CITY, "2026-03-03", working=False, note="city")
    set_day(api, CHAOYANG, "2026-03-03", working=True, note="district")
    assert day(api, CHAOYANG, "2026-03-03") == {
        "date": "2026-03-03",
        "working": True,
        "source": CHAOYANG,
        "note": "district",
    }
    assert day(api, HAIDIAN, "2026-03-03")["source"] == BEIJING_CITY


def test_putting_a_day_again_replaces_the_regions_entry(api: Api) -> None:
    set_day(api, BEIJING, "2026-03-03", working=False, note="first")
    second = set_day(api, BEIJING, "2026-03-03", working=True, note="second")
    assert day(api, CHAOYANG, "2026-03-03") == second


def test_deleting_a_day_restores_what_it_inherits(api: Api) -> None:
    set_day(api, BEIJING, "2026-03-03", working=False)
    set_day(api, CHAOYANG, "2026-03-03", working=True)
    deleted = api.call("DELETE", f"/v1/regions/{CHAOYANG}/calendar/2026-03-03", api.admin)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert day(api, CHAOYANG, "2026-03-03")["source"] == BEIJING
    api.call("DELETE", f"/v1/regions/{BEIJING}/calendar/2026-03-03", api.admin)
    assert day(api, CHAOYANG, "2026-03-03")["source"] == "official"


def test_deleting_a_day_the_region_has_no_entry_for_is_404(api: Api) -> None:
    set_day(api, BEIJING, "2026-03-03", working=False)
    response = api.call("DELETE", f"/v1/regions/{CHAOYANG}/calendar/2026-03-03", api.admin)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert day(api, CHAOYANG, "2026-03-03")["source"] == BEIJING


def test_the_ready_date_follows_the_regions_calendar(api: Api) -> None:
    set_day(api, BEIJING, "2026-03-05", working=False)
    with transaction(api.rt.sessions) as session:
        chaoyang, zhangjiakou = calendar_for(session, CHAOYANG), calendar_for(session, ZHANGJIAKOU)
    assert chaoyang.add_working_days(date(2026, 2, 13), 15) == date(2026, 3, 13)
    assert zhangjiakou.add_working_days(date(2026, 2, 13), 15) == date(2026, 3, 12)


def test_only_an_admin_in_scope_writes_the_calendar(api: Api) -> None:
    path = f"/v1/regions/{BEIJING}/calendar/2026-03-03"
    body = {"working": False, "note": ""}
    clerk = api.call("PUT", path, api.clerk, json=body)
    assert (clerk.status_code, clerk.json()["code"]) == (403, "forbidden")
    assert api.call("DELETE", path, api.clerk).status_code == 403
    beijing_admin = api.headers(Role.ADMIN, BEIJING)
    outside = api.call("PUT", f"/v1/regions/{ZHANGJIAKOU}/calendar/2026-03-03", beijing_admin, json=body)
    assert (outside.status_code, outside.json()["code"]) == (403, "out_of_region")
    above = api.call("PUT", path, api.headers(Role.ADMIN, CHAOYANG), json=body)
    assert (above.status_code, above.json()["code"]) == (403, "out_of_region")
    inside = api.call("PUT", f"/v1/regions/{CHAOYANG}/calendar/2026-03-03", beijing_admin, json=body)
    assert inside.status_code == 200
    assert day(api, BEIJING, "2026-03-03")["source"] == "official"


def test_any_staff_reads_the_calendar_but_a_terminal_does_not(api: Api) -> None:
    query = {"from": "2026-03-02", "to": "2026-03-02"}
    for role in (Role.ADMIN, Role.CLERK, Role.OPERATOR, Role.BANK, Role.AUDITOR):
        response = api.call("GET", f"/v1/regions/{BEIJING}/calendar", api.headers(role, HEBEI), params=query)
        assert response.status_code == 200, role
    terminal = api.call("GET", f"/v1/regions/{BEIJING}/calendar", api.headers(Role.TERMINAL, CHAOYANG), params=query)
    assert terminal.status_code == 403


@pytest.mark.parametrize("region", ["999999", "abc"])
def test_an_unknown_region_is_404(api: Api, region: str) -> None:
    path = f"/v1/regions/{region}/calendar"
    responses = [
        api.call("GET", path, api.clerk, params={"from": "2026-03-02", "to": "2026-03-03"}),
        api.call("PUT", f"{path}/2026-03-03", api.admin, json={"working": False, "note": ""}),
        api.call("DELETE", f"{path}/2026-03-03", api.admin),
    ]
    assert [(r.status_code, r.json()["code"]) for r in responses] == [(404, "not_found")] * 3


def test_at_most_400_days_are_listed_at_once(api: Api) -> None:
    assert len(calendar(api, BEIJING, "2026-01-01", "2027-02-04")["days"]) == 400
    too_long = api.call(
        "GET", f"/v1/regions/{BEIJING}/calendar", api.clerk, params={"from": "2026-01-01", "to": "2027-02-05"}
    )
    assert (too_long.status_code, too_long.json()["code"]) == (422, "invalid_request")


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-03-03", "to": "2026-03-02"},
        {"from": "2026-02-30", "to": "2026-03-02"},
        {"from": "2026-03-02", "to": "next week"},
        {"from": "2026-03-02"},
    ],
)
def test_a_bad_range_is_422(api: Api, query: dict[str, str]) -> None:
    response = api.call("GET", f"/v1/regions/{BEIJING}/calendar", api.clerk, params=query)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


@pytest.mark.parametrize(
    ("on", "body"),
    [
        ("2026-13-01", {"working": False, "note": ""}),
        ("today", {"working": False, "note": ""}),
        ("2026-03-03", {"working": "no", "note": ""}),
        ("2026-03-03", {"note": "no working given"}),
        ("2026-03-03", {"working": False, "note": "x" * 101}),
        ("2026-03-03", {"working": False, "note": "", "region": HEBEI}),
    ],
)
def test_a_bad_day_or_body_is_422_and_changes_nothing(api: Api, on: str, body: dict[str, object]) -> None:
    response = api.call("PUT", f"/v1/regions/{BEIJING}/calendar/{on}", api.admin, json=body)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")
    assert day(api, BEIJING, "2026-03-03")["source"] == "official"


def test_calendar_writes_are_audited(api: Api) -> None:
    set_day(api, BEIJING, "2026-03-03", working=False, note="local day off")
    api.call("DELETE", f"/v1/regions/{BEIJING}/calendar/2026-03-03", api.admin)
    response = api.call("GET", "/v1/audit", api.admin, params={"object_type": "region", "object_id": BEIJING})
    cleared, was_set = response.json()["items"]
    assert (cleared["action"], cleared["region"], cleared["detail"]) == (
        "calendar.clear",
        BEIJING,
        {"day": "2026-03-03"},
    )
    assert was_set["action"] == "calendar.set"
    assert was_set["actor"] == "admin.test"
    assert was_set["detail"] == {"day": "2026-03-03", "working": False, "note": "local day off"}
