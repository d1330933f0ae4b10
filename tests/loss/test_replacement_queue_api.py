"""The outlet's queue (GET /v1/replacements) and the open replacement of a card read
(GET /v1/cards/{card_no}): R-REP-3's production status, R-REP-4's collection."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx2 import Response

from sscard.clock import FixedClock
from sscard.people.idnumber import mask_id_number
from sscard.roles import Role
from tests.api import Api
from tests.conftest import START


def queue(api: Api, who: dict[str, str] | None = None, /, **params: Any) -> Response:
    return api.call("GET", "/v1/replacements", api.clerk if who is None else who, params=params)


def queued(api: Api, who: dict[str, str] | None = None, /, **params: Any) -> list[int]:
    """The replacement ids of one page of the queue, in its order."""
    response = queue(api, who, **params)
    assert response.status_code == 200, response.text
    return [item["replacement_id"] for item in response.json()["items"]]


def applied(api: Api, region: str = "110101", bank: str = "ICBC", **fields: Any) -> dict[str, Any]:
    """A person whose lost card was replaced just now; the replacement, with the holder."""
    person = api.person(region, **fields)
    card_no = api.card(person["person_id"], bank)["card_no"]
    api.report_loss(card_no)
    return api.replace(card_no) | {"holder": person}


def on_day(clock: FixedClock, day: str) -> None:
    """10:00 in Beijing on that day."""
    clock.set(datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + timedelta(hours=2))


def collect(api: Api, replacement: dict[str, Any]) -> None:
    body = {
        "id_number": replacement["holder"]["id_number"],
        "collection_certificate_no": replacement["collection_certificate_no"],
    }
    response = api.call("POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=body)
    assert response.status_code == 200, response.text


def card(api: Api, card_no: str, who: dict[str, str] | None = None) -> dict[str, Any]:
    response = api.call("GET", f"/v1/cards/{card_no}", who or api.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


def refused(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


# --- R-REP-3: the status, derived as the replacement read derives it ------------------


def test_r_rep_3_the_queue_by_status_on_chinas_date(api: Api, clock: FixedClock) -> None:
    first = applied(api)
    clock.advance(timedelta(days=1))
    second = applied(api)
    # 23:30 in Beijing the day before the first is ready is still in production there.
    beijing_midnight = datetime.combine(date.fromisoformat(first["ready_on"]), datetime.min.time(), UTC) - timedelta(
        hours=8
    )
    clock.set(beijing_midnight - timedelta(minutes=30))
    assert queued(api, status="ready") == []
    assert queued(api, status="in_production") == [first["replacement_id"], second["replacement_id"]]
    clock.set(beijing_midnight)  # still the day before in UTC
    assert queued(api, status="ready") == [first["replacement_id"]]
    assert queued(api, status="in_production") == [second["replacement_id"]]
    collect(api, first)
    assert queued(api, status="ready") == []
    assert queued(api, status="collected") == [first["replacement_id"]]
    assert queued(api) == [first["replacement_id"], second["replacement_id"]]


@pytest.mark.parametrize("status", ["in_production", "ready", "collected"])
def test_r_rep_3_each_item_reads_as_the_replacement_itself(api: Api, clock: FixedClock, status: str) -> None:
    replacement = applied(api, name="阿依古丽·买买提")
    if status != "in_production":
        on_day(clock, replacement["ready_on"])
    if status == "collected":
        collect(api, replacement)
    (item,) = queue(api, status=status).json()["items"]
    alone = api.call("GET", f"/v1/replacements/{replacement['replacement_id']}", api.clerk).json()
    holder = replacement["holder"]
    assert item == alone | {"holder_name": "阿依古丽·买买提", "holder_id_number": mask_id_number(holder["id_number"])}
    assert item["status"] == status


def test_r_rep_4_the_queue_masks_the_holders_id_number_even_for_a_clerk(api: Api) -> None:
    replacement = applied(api)
    response = queue(api, api.clerk)
    assert response.json()["items"][0]["holder_id_number"] == mask_id_number(replacement["holder"]["id_number"])
    assert replacement["holder"]["id_number"] not in response.text


def test_r_rep_3_an_unknown_status_is_invalid_request(api: Api) -> None:
    response = queue(api, status="lost")
    refused(response, 422, "invalid_request")
    assert [e["field"] for e in response.json()["errors"]] == ["status"]


# --- oldest first, in pages -------------------------------------------------------------


def test_r_rep_4_oldest_application_first_not_lowest_id(api: Api, clock: FixedClock) -> None:
    on_day(clock, "2026-03-05")
    later = applied(api)
    clock.set(START)  # applied earlier, recorded after (an outlet's clock, a demo's clock)
    earlier = applied(api)
    clock.set(later_at := datetime.fromisoformat(later["applied_at"]))
    same_instant = applied(api)
    assert clock.now() == later_at
    assert queued(api) == [earlier["replacement_id"], later["replacement_id"], same_instant["replacement_id"]]


def test_r_rep_4_the_queue_pages_with_next(api: Api, clock: FixedClock) -> None:
    ids = []
    for _ in range(5):
        ids.append(applied(api)["replacement_id"])
        clock.advance(timedelta(minutes=7))
    pages, cursor = [], None
    for _ in range(5):
        body = queue(api, limit=2, **({"cursor": cursor} if cursor else {})).json()
        pages.append([item["replacement_id"] for item in body["items"]])
        if (cursor := body["next"]) is None:
            break
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    assert queue(api, limit=5).json()["next"] is None


@pytest.mark.parametrize("cursor", ["nonsense", "MjAyNi0wMy0wMlQwMjowMDowMA", "MXwy", "%%%"])
def test_r_rep_4_a_cursor_the_queue_did_not_make_is_invalid_request(api: Api, cursor: str) -> None:
    response = queue(api, cursor=cursor)
    refused(response, 422, "invalid_request")
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


@pytest.mark.parametrize("limit", [0, 101])
def test_r_rep_4_the_page_size_is_bounded(api: Api, limit: int) -> None:
    refused(queue(api, limit=limit), 422, "invalid_request")


# --- who sees which part of the queue ---------------------------------------------------


def test_r_rep_4_the_region_defaults_to_the_callers_scope_and_may_narrow_it(api: Api) -> None:
    dongcheng, chaoyang = applied(api, "110101"), applied(api, "110105")
    mianyang = applied(api, "510703", bank="MYCCB")
    beijing_clerk = api.headers(Role.CLERK, "110000")
    assert queued(api, beijing_clerk) == [dongcheng["replacement_id"], chaoyang["replacement_id"]]
    assert queued(api, beijing_clerk, region="110105") == [chaoyang["replacement_id"]]
    assert queued(api, api.headers(Role.CLERK, "510700")) == [mianyang["replacement_id"]]
    everyone = [dongcheng["replacement_id"], chaoyang["replacement_id"], mianyang["replacement_id"]]
    assert queued(api, api.admin) == everyone


@pytest.mark.parametrize("region", ["510700", "000000", "120000"])
def test_r_rep_4_a_region_outside_the_scope_is_out_of_region(api: Api, region: str) -> None:
    applied(api, "510703", bank="MYCCB")
    refused(queue(api, api.headers(Role.CLERK, "110000"), region=region), 403, "out_of_region")


def test_r_loss_8_a_bank_sees_the_replacements_of_its_own_cards_old_or_new(api: Api) -> None:
    icbc_card = applied(api, bank="ICBC")
    bob_card = applied(api, bank="BOB")
    person = api.person()
    card_no = api.card(person["person_id"], "BOB")["card_no"]
    api.report_loss(card_no)
    moving_to_icbc = api.replace(card_no, bank="ICBC")
    icbc, bob = api.headers(Role.BANK, bank="ICBC"), api.headers(Role.BANK, bank="BOB")
    assert queued(api, icbc) == [icbc_card["replacement_id"], moving_to_icbc["replacement_id"]]
    assert queued(api, bob) == [bob_card["replacement_id"], moving_to_icbc["replacement_id"]]
    assert queued(api, api.headers(Role.BANK, bank="CCB")) == []


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUDITOR, Role.TERMINAL])
def test_r_rep_4_other_roles_are_forbidden(api: Api, role: Role) -> None:
    applied(api)
    refused(queue(api, api.headers(role)), 403, "forbidden")


def test_r_rep_4_a_cardholder_is_forbidden_even_with_their_own_replacement(api: Api) -> None:
    replacement = applied(api)
    refused(queue(api, api.holder(replacement["holder"])), 403, "forbidden")


# --- GET /v1/cards/{card_no} names the open replacement -----------------------------------


def test_r_rep_4_a_card_names_its_open_replacement_until_collected(api: Api, clock: FixedClock) -> None:
    replacement = applied(api)
    old_no, new_no = replacement["old_card_no"], replacement["new_card_no"]
    opened = {
        "replacement_id": replacement["replacement_id"],
        "new_card_no": new_no,
        "status": "in_production",
        "ready_on": replacement["ready_on"],
    }
    assert card(api, old_no)["open_replacement"] == opened
    on_day(clock, replacement["ready_on"])
    assert card(api, old_no)["open_replacement"] == opened | {"status": "ready"}
    collect(api, replacement)
    old, new = card(api, old_no), card(api, new_no)
    assert (old["open_replacement"], old["replaced_by"], old["status"]) == (None, new_no, "replaced")
    assert (new["open_replacement"], new["replacement_for"]) == (None, old_no)


def test_r_rep_4_a_card_read_keeps_every_field_it_had(api: Api) -> None:
    person = api.person()
    issued = api.card(person["person_id"])
    read = card(api, issued["card_no"])
    assert read == issued | {"open_replacement": None}
    assert {"card_no", "person_id", "status", "bank", "region", "pin_locked", "replaced_by", "replacement_for"} <= set(
        read
    )


def test_r_rep_4_the_holder_sees_their_cards_open_replacement(api: Api) -> None:
    replacement = applied(api)
    holder = api.holder(replacement["holder"])
    opened = card(api, replacement["old_card_no"], holder)["open_replacement"]
    assert opened["replacement_id"] == replacement["replacement_id"]
    other = applied(api)
    refused(api.call("GET", f"/v1/cards/{other['old_card_no']}", holder), 403, "forbidden")
